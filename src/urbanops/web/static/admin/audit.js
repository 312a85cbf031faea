/* 操作审计: the audit trail over /api/v1/admin/audit, newest first, filtered by entity, key
   and dates (Beijing days), paged by the last entry shown; each change as field: before → after. */
import { html } from "../shared/html.js";
import { $, adminPage, beijing } from "./page.js";

const ENTITIES = [
  "user",
  "unit",
  "responsibility",
  "time_limit",
  "calendar_year",
  "service_station",
  "channel",
  "api_key",
];
const T = {
  en: {
    title: "UrbanOps audit trail",
    key_ph: "Entity key",
    since: "From",
    until: "To",
    filter: "Filter",
    more: "Older entries",
    intro:
      "Administrative changes are kept as written: who, when, what, before → after (never passwords or secrets).",
    all: "Everything",
    at: "When",
    who: "Who",
    what: "What",
    key: "Key",
    change: "Change",
    details: "Before → after",
    none: "No entries match.",
    e_user: "User",
    e_unit: "Unit",
    e_responsibility: "Responsibility rule",
    e_time_limit: "Time limit",
    e_calendar_year: "Holiday schedule",
    e_service_station: "Service station",
    e_channel: "Referral channel",
    e_api_key: "API key",
    c_create: "created",
    c_update: "changed",
    c_delete: "deleted",
    c_revoke: "revoked",
    c_reset_password: "password reset",
    c_import: "imported",
    c_publish: "published",
  },
  zh: {
    all: "全部对象",
    at: "时间",
    who: "操作人",
    what: "对象",
    key: "编号",
    change: "操作",
    details: "修改前 → 修改后",
    none: "没有符合条件的记录。",
    e_user: "用户",
    e_unit: "处置单位",
    e_responsibility: "责任矩阵规则",
    e_time_limit: "事项时限",
    e_calendar_year: "节假日安排",
    e_service_station: "服务驿站",
    e_channel: "转办渠道",
    e_api_key: "API 密钥",
    c_create: "新建",
    c_update: "修改",
    c_delete: "删除",
    c_revoke: "吊销",
    c_reset_password: "重置密码",
    c_import: "导入",
    c_publish: "发布",
  },
};
const PAGE = 50;
// the recorded fields in words: [zh, en]
const FIELDS = {
  username: ["用户名", "user name"],
  display_name: ["姓名", "name"],
  roles: ["角色", "roles"],
  unit_id: ["单位", "unit"],
  communities: ["村（社区）", "communities"],
  is_active: ["启用", "active"],
  must_change_password: ["须改密码", "must change password"],
  phone: ["手机号", "phone"],
  wecom_userid: ["企业微信 UserID", "WeCom UserID"],
  code: ["代码", "code"],
  name: ["名称", "name"],
  kind: ["类型", "kind"],
  town_code: ["镇街", "town"],
  matter_class: ["大类", "matter class"],
  matter_code: ["事项", "matter"],
  address: ["地址", "address"],
  opening_hours: ["开放时间", "opening hours"],
  amenities: ["设施", "facilities"],
  lat: ["纬度", "latitude"],
  lon: ["经度", "longitude"],
  is_demo: ["演示", "demo"],
  dispatch: ["派遣时限", "dispatch within"],
  handle: ["处置时限", "handle within"],
  verify: ["核查时限", "verify within"],
  prefix: ["前缀", "prefix"],
  revoked: ["已吊销", "revoked"],
  source: ["来源", "source"],
  days_off: ["放假天数", "days off"],
  make_up_days: ["调休上班天数", "make-up working days"],
  published: ["已发布", "published"],
  deadlines_recomputed: ["重算时限的案件", "deadlines recomputed"],
  name_zh: ["名称（中文）", "name (Chinese)"],
  name_en: ["名称（英文）", "name (English)"],
  reply_zh: ["答复（中文）", "reply (Chinese)"],
  reply_en: ["答复（英文）", "reply (English)"],
};
const TIME_UNITS = {
  natural_hours: ["小时", "hours"],
  working_hours: ["工作小时", "working hours"],
  working_days: ["个工作日", "working days"],
};

let entries = [];
let units = [];
let options = null;
const page = adminPage({
  words: T,
  load: async () => {
    [options, units] = await Promise.all([
      page.api("/api/v1/admin/options"),
      page.api("/api/v1/admin/units"),
    ]);
    fillEntities();
    await search();
  },
  render: () => {
    fillEntities();
    render();
  },
  reset: () => {
    entries = [];
  },
});
const { t, api } = page;

function fillEntities() {
  const current = $("#entity").value;
  $("#entity").innerHTML = html`<option value="">${t("all")}</option>
    ${ENTITIES.map(
      (e) =>
        html`<option value="${e}" ${e === current ? html`selected` : ""}>${t(`e_${e}`)}</option>`,
    )}`;
}

/** The first instant of a Beijing day, as an ISO timestamp. */
const dayStart = (d) => (d ? `${d}T00:00:00+08:00` : null);
const nextDay = (d) => {
  if (!d) return null;
  const x = new Date(`${d}T00:00:00+08:00`);
  x.setUTCDate(x.getUTCDate() + 1);
  return x.toISOString();
};

function query(beforeId) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  if ($("#entity").value) p.set("entity", $("#entity").value);
  if ($("#key").value.trim()) p.set("entity_key", $("#key").value.trim());
  if ($("#since").value) p.set("since", dayStart($("#since").value));
  if ($("#until").value) p.set("until", nextDay($("#until").value));
  if (beforeId) p.set("before_id", String(beforeId));
  return `/api/v1/admin/audit?${p}`;
}

async function search() {
  entries = await api(query());
  $("#more").hidden = entries.length < PAGE;
  render();
}

const word = (pair) => pair[page.lang() === "en" ? 1 : 0];
const fieldName = (k) => (FIELDS[k] ? word(FIELDS[k]) : k);

/** A recorded value in words: units and towns by name, roles and time limits in words. */
function show(k, v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return page.lang() === "en" ? (v ? "yes" : "no") : v ? "是" : "否";
  if (k === "unit_id") return units.find((u) => u.id === v)?.name || `#${v}`;
  if (k === "town_code") return options.towns.find((x) => x.code === v)?.label || v;
  if (k === "roles") return v.map((r) => t(`role_${r}`)).join("、") || "—";
  if (Array.isArray(v)) return v.join("、") || "—";
  if (typeof v === "object" && "amount" in v) {
    return `${v.amount} ${word(TIME_UNITS[v.unit] || [v.unit, v.unit])}`;
  }
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function details(e) {
  const keys = [...new Set([...Object.keys(e.before || {}), ...Object.keys(e.after || {})])];
  return html`<ul class="change">
    ${keys.map((k) => {
      const had = e.before && k in e.before;
      const has = e.after && k in e.after;
      return html`<li>
        <span class="muted" title="${k}">${fieldName(k)}</span>:
        ${had ? html`<span class="from">${show(k, e.before[k])}</span>` : ""}
        ${had && has ? "→" : ""} ${has ? html`<span class="to">${show(k, e.after[k])}</span>` : ""}
      </li>`;
    })}
  </ul>`;
}

function render() {
  if (!entries.length) {
    $("#entries").innerHTML = html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
    return;
  }
  $("#entries").innerHTML = html`<thead>
      <tr>
        <th>${t("at")}</th>
        <th>${t("who")}</th>
        <th>${t("what")}</th>
        <th>${t("key")}</th>
        <th>${t("change")}</th>
        <th>${t("details")}</th>
      </tr>
    </thead>
    <tbody>
      ${entries.map(
        (e) =>
          html`<tr data-entry="${e.id}">
            <td>${beijing(e.at)}</td>
            <td>${e.actor}</td>
            <td>${t(`e_${e.entity}`)}</td>
            <td><code>${e.entity_key}</code></td>
            <td>${t(`c_${e.change}`)}</td>
            <td>${details(e)}</td>
          </tr>`,
      )}
    </tbody>`;
}

$("#filters").addEventListener("submit", async (e) => {
  e.preventDefault();
  await search();
});

$("#more").addEventListener("click", async () => {
  const older = await api(query(entries[entries.length - 1].id));
  entries = entries.concat(older);
  $("#more").hidden = older.length < PAGE;
  render();
});

page.begin();
