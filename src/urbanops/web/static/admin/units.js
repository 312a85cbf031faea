/* 处置单位: town branches and city departments over /api/v1/admin/units — list with the rules
   routing to each and its staff, create, edit name / kind / town, deactivate (refused while the
   matrix routes to the unit: the server says how many rules) and reactivate. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const T = {
  en: {
    title: "UrbanOps units",
    intro:
      "Town branches and city departments. A unit the responsibility matrix still routes to cannot be deactivated: reassign its rules first.",
    new_unit: "New unit",
    code: "Code",
    name: "Name",
    kind: "Kind",
    town: "Town",
    citywide: "(city-wide)",
    rules: "Rules",
    staff: "Staff",
    status: "Status",
    active: "active",
    inactive: "deactivated",
    edit: "Edit",
    deactivate: "Deactivate",
    activate: "Reactivate",
    save: "Save",
    create: "Create",
    cancel: "Cancel",
    new_title: "New unit",
    edit_title: "Edit {u}",
  },
  zh: {
    code: "代码",
    name: "名称",
    kind: "类型",
    town: "所在镇街",
    citywide: "（全市）",
    rules: "规则数",
    staff: "人员数",
    status: "状态",
    active: "启用",
    inactive: "已停用",
    edit: "编辑",
    deactivate: "停用",
    activate: "重新启用",
    save: "保存",
    create: "创建",
    cancel: "取消",
    new_title: "新建单位",
    edit_title: "编辑 {u}",
  },
};

let options = null;
let units = [];
let editing = null;
let problem = "";

const page = adminPage({
  words: T,
  load: async () => {
    options = await page.api("/api/v1/admin/options");
    await reload();
  },
  render: () => render(),
  reset: () => {
    units = [];
    editing = null;
  },
});
const { t, api } = page;
const en = () => page.lang() === "en";
const kindLabel = (k) => {
  const c = options.unit_kinds.find((x) => x.code === k);
  return c ? (en() ? c.label_en : c.label) : k;
};
const townName = (code) => options.towns.find((x) => x.code === code)?.label || "";

async function reload() {
  units = await api("/api/v1/admin/units");
  render();
}

function render() {
  $("#units").innerHTML = html`<thead>
      <tr>
        <th>${t("code")}</th>
        <th>${t("name")}</th>
        <th>${t("kind")}</th>
        <th>${t("town")}</th>
        <th class="num">${t("rules")}</th>
        <th class="num">${t("staff")}</th>
        <th>${t("status")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${units.map(
        (u) =>
          html`<tr
            data-unit="${u.id}"
            class="${u.is_active ? "" : "off"} ${editing && editing.id === u.id ? "chosen" : ""}"
          >
            <td><code>${u.code}</code></td>
            <td>${u.name}</td>
            <td>${kindLabel(u.kind)}</td>
            <td>${u.town_code ? townName(u.town_code) : t("citywide")}</td>
            <td class="num">${u.rules}</td>
            <td class="num">${u.staff}</td>
            <td>
              ${
                u.is_active
                  ? html`<span class="badge">${t("active")}</span>`
                  : html`<span class="badge off">${t("inactive")}</span>`
              }
            </td>
            <td class="actions">
              <button class="link" data-act="edit">${t("edit")}</button>
              <button class="link" data-act="toggle">
                ${t(u.is_active ? "deactivate" : "activate")}
              </button>
            </td>
          </tr>`,
      )}
    </tbody>`;
  renderEditor();
}

function renderEditor() {
  if (!editing) {
    const bad = html`<div class="panel"><p class="msg bad">${problem}</p></div>`;
    $("#editor").innerHTML = html`${problem ? bad : ""}`;
    return;
  }
  const isNew = !editing.id;
  $("#editor").innerHTML = html`<form class="panel edit" id="unit-form" novalidate>
    <h2>${isNew ? t("new_title") : t("edit_title", { u: editing.name })}</h2>
    ${
      isNew
        ? html`<label
            ><span>${t("code")}</span
            ><input
              name="code"
              required
              maxlength="32"
              pattern="[a-z0-9_]+"
              placeholder="dept_lighting"
          /></label>`
        : ""
    }
    <label
      ><span>${t("name")}</span
      ><input name="name" required maxlength="100" value="${editing.name || ""}"
    /></label>
    <label
      ><span>${t("kind")}</span
      ><select name="kind">
        ${options.unit_kinds.map(
          (k) =>
            html`<option value="${k.code}" ${k.code === editing.kind ? html`selected` : ""}>
              ${en() ? k.label_en : k.label}
            </option>`,
        )}
      </select></label
    >
    <label
      ><span>${t("town")}</span
      ><select name="town_code">
        <option value="">${t("citywide")}</option>
        ${options.towns.map(
          (x) =>
            html`<option value="${x.code}" ${x.code === editing.town_code ? html`selected` : ""}>
              ${x.label}
            </option>`,
        )}
      </select></label
    >
    <div class="row">
      <button class="primary">${isNew ? t("create") : t("save")}</button>
      <button type="button" data-act="cancel">${t("cancel")}</button>
    </div>
    <p class="msg bad" hidden></p>
  </form>`;
}

$("#editor").addEventListener("click", (e) => {
  if (e.target.dataset.act === "cancel") {
    editing = null;
    render();
  }
});

$("#editor").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const body = {
    name: f.namedItem("name").value.trim(),
    kind: f.namedItem("kind").value,
    town_code: f.namedItem("town_code").value || null,
  };
  try {
    if (editing.id) {
      await api(`/api/v1/admin/units/${editing.id}`, { method: "PATCH", body });
    } else {
      await api("/api/v1/admin/units", {
        method: "POST",
        body: { ...body, code: f.namedItem("code").value.trim() },
      });
    }
    editing = null;
    problem = "";
    await reload();
  } catch (err) {
    const m = $("#unit-form .msg");
    m.textContent = err.message;
    m.hidden = false;
  }
});

$("#units").addEventListener("click", async (e) => {
  const act = e.target.dataset.act;
  const row = e.target.closest("tr[data-unit]");
  if (!act || !row) return;
  const unit = units.find((u) => u.id === Number(row.dataset.unit));
  problem = "";
  if (act === "edit") {
    editing = unit;
    render();
    return;
  }
  try {
    await api(`/api/v1/admin/units/${unit.id}`, {
      method: "PATCH",
      body: { is_active: !unit.is_active },
    });
  } catch (err) {
    problem = err.message;
  }
  editing = null;
  await reload();
});

$("#new").addEventListener("click", () => {
  editing = { kind: "department" };
  problem = "";
  render();
});

page.begin();
