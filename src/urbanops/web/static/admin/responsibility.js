/* 责任矩阵: the rules (town or city-wide × all matters, a class or one matter → unit) over
   /api/v1/admin/responsibility, added, edited and removed; and the tester, which asks
   /api/v1/admin/routing — the routing intake itself uses — which unit gets a matter at a town
   and which rule decided. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const T = {
  en: {
    title: "UrbanOps responsibility matrix",
    tester_title: "Try it: which unit gets a matter in a town?",
    matter_ph: "Matter code or name",
    ask: "Ask",
    intro:
      "The most specific rule wins: town + matter → town + class → city + matter → city + class → town default → city default. Changes apply at once.",
    new_rule: "New rule",
    all_towns: "All rules",
    citywide: "City-wide",
    area: "Area",
    matters: "Matters",
    unit: "Unit",
    every_matter: "every matter (default)",
    class_x: "class {c} {n}",
    matter_x: "matter {c} {n}",
    scope: "Applies to",
    scope_all: "Every matter (the area's default)",
    scope_class: "A matter class",
    scope_matter: "A single matter",
    matter_class: "Matter class",
    matter: "Matter",
    edit: "Edit",
    remove: "Remove",
    remove_q: "Remove this rule?",
    save: "Save",
    create: "Add",
    cancel: "Cancel",
    new_title: "New rule",
    edit_title: "Edit rule",
    answer: "→ {u}, by the rule: {r}",
    no_answer: "No rule applies: such a case waits in triage.",
    unknown_matter: "Pick a matter from the list (code or name).",
  },
  zh: {
    all_towns: "全部规则",
    citywide: "全市",
    area: "区域",
    matters: "事项",
    unit: "处置单位",
    every_matter: "全部事项（默认）",
    class_x: "大类 {c} {n}",
    matter_x: "事项 {c} {n}",
    scope: "适用于",
    scope_all: "全部事项（该区域默认）",
    scope_class: "某个大类",
    scope_matter: "单个事项",
    matter_class: "大类",
    matter: "事项",
    edit: "编辑",
    remove: "删除",
    remove_q: "删除这条规则？",
    save: "保存",
    create: "新增",
    cancel: "取消",
    new_title: "新增规则",
    edit_title: "编辑规则",
    answer: "→ {u}，依据规则：{r}",
    no_answer: "没有适用的规则：此类案件将进入人工分拣。",
    unknown_matter: "请从列表中选择事项（代码或名称）。",
  },
};

let options = null;
let units = [];
let matters = [];
let rules = [];
let editing = null;

const page = adminPage({
  words: T,
  load: async () => {
    [options, units, matters] = await Promise.all([
      page.api("/api/v1/admin/options"),
      page.api("/api/v1/admin/units"),
      page.api("/api/v1/matters"),
    ]);
    $("#matters").innerHTML = html`${matters.map(
      (m) => html`<option value="${m.code} ${m.name}"></option>`,
    )}`;
    await reload();
  },
  render: () => render(),
  reset: () => {
    rules = [];
    editing = null;
  },
});
const { t, api } = page;
const townName = (code) => options.towns.find((x) => x.code === code)?.label || code;
const className = (code) => options.matter_classes.find((x) => x.code === code)?.label || "";
const matterName = (code) => matters.find((m) => m.code === code)?.name || "";
const unitName = (id) => units.find((u) => u.id === id)?.name || `#${id}`;

function area(r) {
  return r.town_code ? townName(r.town_code) : t("citywide");
}
function scope(r) {
  if (r.matter_code) return t("matter_x", { c: r.matter_code, n: matterName(r.matter_code) });
  if (r.matter_class) return t("class_x", { c: r.matter_class, n: className(r.matter_class) });
  return t("every_matter");
}

async function reload() {
  rules = await api("/api/v1/admin/responsibility");
  render();
}

function townSelect(id, selected, first) {
  return html`<select id="${id}" name="town_code">
    <option value="">${first}</option>
    ${options.towns.map(
      (x) =>
        html`<option value="${x.code}" ${x.code === selected ? html`selected` : ""}>
          ${x.label}
        </option>`,
    )}
  </select>`;
}

function render() {
  const filter = $("#town-filter").value;
  $("#town-filter").innerHTML = html`<option value="">${t("all_towns")}</option>
    ${options.towns.map(
      (x) =>
        html`<option value="${x.code}" ${x.code === filter ? html`selected` : ""}>
          ${x.label}
        </option>`,
    )}`;
  if (!$("#t-town").options.length) {
    $("#t-town").innerHTML = html`${options.towns.map(
      (x) => html`<option value="${x.code}">${x.label}</option>`,
    )}`;
  }
  const shown = rules.filter((r) => !filter || r.town_code === filter || !r.town_code);
  $("#rules").innerHTML = html`<thead>
      <tr>
        <th>${t("area")}</th>
        <th>${t("matters")}</th>
        <th>${t("unit")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${shown.map(
        (r) =>
          html`<tr data-rule="${r.id}" class="${editing && editing.id === r.id ? "chosen" : ""}">
            <td>${area(r)}</td>
            <td>${scope(r)}</td>
            <td>${unitName(r.unit_id)}</td>
            <td class="actions">
              <button class="link" data-act="edit">${t("edit")}</button>
              <button class="link danger" data-act="remove">${t("remove")}</button>
            </td>
          </tr>`,
      )}
    </tbody>`;
  renderEditor();
}

function renderEditor() {
  if (!editing) {
    $("#editor").innerHTML = html``;
    return;
  }
  const kind = editing.matter_code ? "matter" : editing.matter_class ? "class" : "all";
  const opt = (value, label) =>
    html`<option value="${value}" ${value === kind ? html`selected` : ""}>${t(label)}</option>`;
  const matterValue = editing.matter_code
    ? `${editing.matter_code} ${matterName(editing.matter_code)}`
    : "";
  $("#editor").innerHTML = html`<form class="panel edit" id="rule-form" novalidate>
    <h2>${editing.id ? t("edit_title") : t("new_title")}</h2>
    <label
      ><span>${t("area")}</span>${townSelect("f-town", editing.town_code, t("citywide"))}</label
    >
    <label
      ><span>${t("scope")}</span
      ><select name="scope">
        ${opt("all", "scope_all")} ${opt("class", "scope_class")} ${opt("matter", "scope_matter")}
      </select></label
    >
    <label ${kind === "class" ? "" : html`hidden`} data-scope="class"
      ><span>${t("matter_class")}</span
      ><select name="matter_class">
        ${options.matter_classes.map(
          (c) =>
            html`<option value="${c.code}" ${c.code === editing.matter_class ? html`selected` : ""}>
              ${c.code} ${c.label}
            </option>`,
        )}
      </select></label
    >
    <label ${kind === "matter" ? "" : html`hidden`} data-scope="matter"
      ><span>${t("matter")}</span
      ><input name="matter" list="matters" value="${matterValue}" placeholder="${t("matter_ph")}"
    /></label>
    <label
      ><span>${t("unit")}</span
      ><select name="unit_id">
        ${units
          .filter((u) => u.is_active || u.id === editing.unit_id)
          .map(
            (u) =>
              html`<option value="${u.id}" ${u.id === editing.unit_id ? html`selected` : ""}>
                ${u.name}
              </option>`,
          )}
      </select></label
    >
    <div class="row">
      <button class="primary">${editing.id ? t("save") : t("create")}</button>
      <button type="button" data-act="cancel">${t("cancel")}</button>
    </div>
    <p class="msg bad" hidden></p>
  </form>`;
}

/** The matter code in what was typed or picked ("06042 …" or a name), or null. */
function matterCode(text) {
  const s = text.trim();
  const code = s.match(/^\d{5}/)?.[0];
  if (code && matters.some((m) => m.code === code)) return code;
  return matters.find((m) => m.name === s)?.code || null;
}

$("#editor").addEventListener("change", (e) => {
  if (e.target.name !== "scope") return;
  document.querySelectorAll("#rule-form [data-scope]").forEach((el) => {
    el.hidden = el.dataset.scope !== e.target.value;
  });
});

$("#editor").addEventListener("click", (e) => {
  if (e.target.dataset.act === "cancel") {
    editing = null;
    render();
  }
});

$("#editor").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const msg = $("#rule-form .msg");
  const kind = f.namedItem("scope").value;
  const body = {
    town_code: $("#f-town").value || null,
    matter_class: kind === "class" ? f.namedItem("matter_class").value : null,
    matter_code: null,
    unit_id: Number(f.namedItem("unit_id").value),
  };
  if (kind === "matter") {
    body.matter_code = matterCode(f.namedItem("matter").value);
    if (!body.matter_code) {
      msg.textContent = t("unknown_matter");
      msg.hidden = false;
      return;
    }
  }
  try {
    if (editing.id) {
      await api(`/api/v1/admin/responsibility/${editing.id}`, { method: "PUT", body });
    } else {
      await api("/api/v1/admin/responsibility", { method: "POST", body });
    }
    editing = null;
    await reload();
  } catch (err) {
    msg.textContent = err.message;
    msg.hidden = false;
  }
});

$("#rules").addEventListener("click", async (e) => {
  const act = e.target.dataset.act;
  const row = e.target.closest("tr[data-rule]");
  if (!act || !row) return;
  const rule = rules.find((r) => r.id === Number(row.dataset.rule));
  if (act === "edit") {
    editing = { ...rule };
    render();
  } else if (act === "remove" && window.confirm(t("remove_q"))) {
    await api(`/api/v1/admin/responsibility/${rule.id}`, { method: "DELETE" });
    editing = null;
    await reload();
  }
});

$("#town-filter").addEventListener("change", () => render());

$("#new").addEventListener("click", () => {
  editing = { town_code: $("#town-filter").value || null, unit_id: units[0]?.id };
  render();
});

$("#tester").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = $("#t-result");
  const code = matterCode($("#t-matter").value);
  if (!code) {
    out.innerHTML = html`<span class="err">${t("unknown_matter")}</span>`;
    return;
  }
  try {
    const params = new URLSearchParams({ town_code: $("#t-town").value, matter_code: code });
    const a = await api(`/api/v1/admin/routing?${params}`);
    const said = a.unit_id
      ? t("answer", { u: a.unit_name, r: `${area(a.rule)} × ${scope(a.rule)}` })
      : t("no_answer");
    out.innerHTML = html`<span class="result">${said}</span>`;
  } catch (err) {
    out.innerHTML = html`<span class="err">${err.message}</span>`;
  }
});

page.begin();
