/* 事项时限: each matter's limit per stage (dispatch, handle, verify) over
   /api/v1/admin/time-limits, edited one matter at a time in its row. A change applies to
   stages that start after it; a stage left blank has no limit. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const STAGES = ["dispatch", "handle", "verify"];
const UNITS = ["natural_hours", "working_hours", "working_days"];
const T = {
  en: {
    title: "UrbanOps time limits",
    search: "Filter by code or name",
    intro:
      "Each matter's time limit per stage. A change applies to stages that start after it; running stages keep theirs. A blank stage has no limit.",
    all_classes: "All classes",
    code: "Code",
    name: "Matter",
    dispatch: "Dispatch within",
    handle: "Handle within",
    verify: "Verify within",
    natural_hours: "hours",
    working_hours: "working hours",
    working_days: "working days",
    none: "—",
    edit: "Edit",
    save: "Save",
    cancel: "Cancel",
    inactive: "inactive",
    saved: "Saved: applies to stages starting from now.",
    shown: "{n} of {m} matters",
  },
  zh: {
    all_classes: "全部大类",
    code: "代码",
    name: "事项",
    dispatch: "派遣时限",
    handle: "处置时限",
    verify: "核查时限",
    natural_hours: "小时",
    working_hours: "工作小时",
    working_days: "个工作日",
    none: "—",
    edit: "编辑",
    save: "保存",
    cancel: "取消",
    inactive: "已停用",
    saved: "已保存：此后开始的环节按新时限计算。",
    shown: "显示 {n} / {m} 个事项",
  },
};

let options = null;
let matters = [];
let editing = null; // the code of the matter being edited
let message = null; // [code, text, bad]

const page = adminPage({
  words: T,
  load: async () => {
    [options, matters] = await Promise.all([
      page.api("/api/v1/admin/options"),
      page.api("/api/v1/admin/time-limits"),
    ]);
    render();
  },
  render: () => render(),
  reset: () => {
    matters = [];
    editing = null;
  },
});
const { t, api } = page;

const limitText = (l) => (l ? `${Number(l.amount)} ${t(l.unit)}` : t("none"));

function fillClasses() {
  const current = $("#class-filter").value;
  $("#class-filter").innerHTML = html`<option value="">${t("all_classes")}</option>
    ${options.matter_classes.map(
      (c) =>
        html`<option value="${c.code}" ${c.code === current ? html`selected` : ""}>
          ${c.code} ${c.label}
        </option>`,
    )}`;
}

function editRow(m) {
  return html`<tr data-matter="${m.code}" class="chosen">
    <td><code>${m.code}</code></td>
    <td>${m.name}</td>
    ${STAGES.map((s) => {
      const l = m.stages[s];
      return html`<td>
        <span class="limit"
          ><input
            name="${s}-amount"
            type="number"
            min="0.5"
            max="1000"
            step="0.5"
            value="${l ? l.amount : ""}"
          /><select name="${s}-unit">
            ${UNITS.map(
              (u) =>
                html`<option value="${u}" ${l && l.unit === u ? html`selected` : ""}>
                  ${t(u)}
                </option>`,
            )}
          </select></span
        >
      </td>`;
    })}
    <td class="actions">
      <button class="primary" data-act="save">${t("save")}</button>
      <button data-act="cancel">${t("cancel")}</button>
    </td>
  </tr>`;
}

function row(m) {
  if (m.code === editing) return editRow(m);
  const said =
    message && message[0] === m.code
      ? html`<div class="msg ${message[2] ? "bad" : ""}">${message[1]}</div>`
      : "";
  return html`<tr data-matter="${m.code}" class="${m.is_active ? "" : "off"}">
    <td><code>${m.code}</code></td>
    <td>${m.name} ${m.is_active ? "" : html`<span class="badge off">${t("inactive")}</span>`}</td>
    ${STAGES.map((s) => html`<td>${limitText(m.stages[s])}</td>`)}
    <td class="actions"><button class="link" data-act="edit">${t("edit")}</button>${said}</td>
  </tr>`;
}

function render() {
  fillClasses();
  const cls = $("#class-filter").value;
  const q = $("#q").value.trim();
  const shown = matters.filter(
    (m) => (!cls || m.class_code === cls) && (!q || m.code.includes(q) || m.name.includes(q)),
  );
  $("#limits").innerHTML = html`<caption class="muted">
      ${t("shown", { n: shown.length, m: matters.length })}
    </caption>
    <thead>
      <tr>
        <th>${t("code")}</th>
        <th>${t("name")}</th>
        ${STAGES.map((s) => html`<th>${t(s)}</th>`)}
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${shown.map(row)}
    </tbody>`;
}

$("#limits").addEventListener("click", async (e) => {
  const act = e.target.dataset.act;
  const tr = e.target.closest("tr[data-matter]");
  if (!act || !tr) return;
  const code = tr.dataset.matter;
  message = null;
  if (act === "edit" || act === "cancel") {
    editing = act === "edit" ? code : null;
    render();
    return;
  }
  const stages = {};
  for (const s of STAGES) {
    const amount = tr.querySelector(`[name=${s}-amount]`).value;
    stages[s] = amount
      ? { amount: Number(amount), unit: tr.querySelector(`[name=${s}-unit]`).value }
      : null;
  }
  try {
    const after = await api(`/api/v1/admin/time-limits/${code}`, {
      method: "PUT",
      body: { stages },
    });
    matters.find((m) => m.code === code).stages = after;
    editing = null;
    message = [code, t("saved"), false];
  } catch (err) {
    editing = null;
    message = [code, err.message, true];
  }
  render();
});

$("#class-filter").addEventListener("change", render);
$("#q").addEventListener("input", render);

page.begin();
