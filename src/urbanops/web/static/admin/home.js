/* 系统管理首页: the sections of the administration, each with what it holds now
   (GET /api/v1/admin/summary; admins only, sign-in and language in ./page.js). */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const T = {
  en: {
    title: "UrbanOps administration",
    intro:
      "The city's reference data is kept here, without SQL. Every change is recorded in the audit trail (who, when, before → after).",
    users_d: "Staff accounts, roles, units, an area chief's communities, passwords",
    users_c: "{n} accounts, {a} active",
    units_d: "Town branches and city departments",
    units_c: "{n} units, {a} active",
    matrix_d: "Area × matter class → unit, the most specific rule wins; with a tester",
    matrix_c: "{n} rules",
    limits_d: "Per matter: dispatch, handle and verify within …",
    limits_c: "{n} matters with limits",
    calendar_d: "Import, review and publish each year's holiday schedule",
    stations_d: "城市服务驿站 on the citizens' map: address, hours, facilities",
    stations_c: "{n} stations ({d} demo)",
    channels_d: "Where out-of-remit reports are referred, and the reply citizens get",
    keys_d: "Keys of other systems (12345, provincial platform)",
    keys_c: "{n} active keys",
    audit_d: "Every administrative change, filtered by entity and date",
    audit_c: "{n} entries",
  },
  zh: {
    users_d: "工作人员账号、角色、所属单位、片长负责的村（社区）、密码",
    users_c: "{n} 个账号，{a} 个启用",
    units_d: "城管分局与专业部门",
    units_c: "{n} 个单位，{a} 个启用",
    matrix_d: "区域 × 事项大类 → 处置单位，越具体越优先；可试查",
    matrix_c: "{n} 条规则",
    limits_d: "各事项的派遣、处置、核查时限",
    limits_c: "{n} 个事项设有时限",
    calendar_d: "每年节假日安排的导入、审核与发布",
    stations_d: "市民端地图上的城市服务驿站：地址、开放时间、设施",
    stations_c: "{n} 个驿站（其中演示 {d} 个）",
    channels_d: "非城管事项的转办渠道及答复市民的话",
    keys_d: "外部系统（12345、省平台）的调用密钥",
    keys_c: "{n} 个有效密钥",
    audit_d: "所有管理操作的记录，可按对象与日期筛选",
    audit_c: "{n} 条记录",
  },
};

let summary = null;
const page = adminPage({
  words: T,
  load: async () => {
    summary = await page.api("/api/v1/admin/summary");
    render();
  },
  render: () => render(),
  reset: () => {
    summary = null;
  },
});
const { t } = page;

function render() {
  const s = summary;
  const cards = [
    ["/admin/users", "nav_users", "users_d", t("users_c", { n: s.users, a: s.active_users })],
    ["/admin/units", "nav_units", "units_d", t("units_c", { n: s.units, a: s.active_units })],
    ["/admin/responsibility", "nav_matrix", "matrix_d", t("matrix_c", { n: s.rules })],
    ["/admin/time-limits", "nav_limits", "limits_d", t("limits_c", { n: s.matters_with_limits })],
    ["/admin/calendar", "nav_calendar", "calendar_d", ""],
    [
      "/admin/stations",
      "nav_stations",
      "stations_d",
      t("stations_c", { n: s.stations, d: s.demo_stations }),
    ],
    ["/admin/channels", "nav_channels", "channels_d", ""],
    ["/admin/api-keys", "nav_keys", "keys_d", t("keys_c", { n: s.api_keys })],
    ["/admin/audit", "nav_audit", "audit_d", t("audit_c", { n: s.audit_entries })],
  ];
  $("#cards").innerHTML = html`${cards.map(
    ([href, title, d, count]) =>
      html`<a class="card" href="${href}"
        ><h3>${t(title)}</h3>
        <p>${t(d)}</p>
        ${count ? html`<div class="count">${count}</div>` : ""}</a
      >`,
  )}`;
}

page.begin();
