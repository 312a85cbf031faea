/* 指挥中心: the command centre's work list and case actions over /api/v1 (bearer token in
   sessionStorage). Status and action labels, the status filter and each action's form come from
   the action registry (GET /api/v1/workflow); the buttons shown are the case's `allowed_actions`.
   Cases the classifier suspects are another channel's are marked (remit.js); the classifier's
   state is shown above the list (classifier.js). */
import { html, photoLinks } from "../shared/html.js";
import { loadWorkflow, Workflow } from "../shared/workflow.js";
import { actionBody, actionForm, followChannels, missingFields } from "./actions.js";
import { classifierPanel } from "./classifier.js";
import { isSuspected, referralAction, remitBadge, remitFacts, remitNotice } from "./remit.js";

const $ = (s) => document.querySelector(s);
const fmt = (iso) =>
  iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";

let token = sessionStorage.getItem("uo_token");
let workflow = new Workflow(null);
let units = [];
let matters = [];
let channels = [];
let channelNames = new Map();
const towns = {};
let current = null;

async function api(path, opts = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  let body = opts.body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(path, { method: opts.method || "GET", headers, body });
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) {
    logout();
    throw new Error(data.detail || "请重新登录");
  }
  if (!r.ok) throw new Error(data.detail || data.title || `HTTP ${r.status}`);
  return data;
}

function logout() {
  token = null;
  sessionStorage.removeItem("uo_token");
  $("#work").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#who").textContent = "";
}
$("#logout").onclick = logout;

$("#login").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch("/api/v1/auth/token", {
    method: "POST",
    body: new URLSearchParams({ username: $("#u").value, password: $("#p").value }),
  });
  const d = await r.json();
  if (!r.ok) {
    $("#login-err").textContent = d.detail;
    $("#login-err").hidden = false;
    return;
  }
  token = d.access_token;
  sessionStorage.setItem("uo_token", token);
  start();
};

/* The status filter: every status, the open ones together, and the statuses of each deadline
   stage together (the stage's option is named by its statuses). */
function statusFilter() {
  const codes = (list) => list.map((s) => s.code).join(",");
  const open = workflow.statuses.filter((s) => s.open);
  const stages = workflow.stages.map((stage) => workflow.statuses.filter((s) => s.stage === stage));
  $("#f-status").innerHTML = html`<option value="">全部</option>
    ${open.length ? html`<option value="${codes(open)}">未办结</option>` : ""}
    <optgroup label="按时限阶段">
      ${stages.map(
        (list) =>
          html`<option value="${codes(list)}">${list.map((s) => s.label_zh).join(" / ")}</option>`,
      )}
    </optgroup>
    <optgroup label="按状态">
      ${workflow.statuses.map((s) => html`<option value="${s.code}">${s.label_zh}</option>`)}
    </optgroup>`;
}

async function start() {
  try {
    const me = await api("/api/v1/me");
    $("#who").textContent = `${me.name}（${me.roles.join("、")}）`;
  } catch {
    return logout();
  }
  $("#login").hidden = true;
  $("#work").hidden = false;
  $("#logout").hidden = false;
  [workflow, units, matters, channels] = await Promise.all([
    loadWorkflow(),
    api("/api/v1/units"),
    api("/api/v1/matters").catch(() => []),
    api("/api/v1/channels").catch(() => []),
  ]);
  channelNames = new Map(channels.map((ch) => [ch.code, ch.name_zh]));
  statusFilter();
  classifierPanel(api, $("#classifier"));
  (await api("/api/v1/towns")).forEach((t) => {
    towns[t.code] = t.name;
    $("#f-town").add(new Option(t.name, t.code));
  });
  load();
}

const statusBadge = (c) =>
  html`<span class="badge ${c.status}"
    >${workflow.statusLabel(c.status, "zh", c.status_label)}</span
  >`;

async function load() {
  const q = new URLSearchParams({ page_size: "100" });
  if ($("#f-status").value) q.set("status", $("#f-status").value);
  if ($("#f-town").value) q.set("town", $("#f-town").value);
  if ($("#f-overdue").checked) q.set("overdue", "true");
  if ($("#f-suspected").checked) q.set("suspected", "true");
  if ($("#f-number").value.trim()) q.set("q", $("#f-number").value.trim());
  const page = await api(`/api/v1/cases?${q}`);
  $("#total").textContent = `共 ${page.total} 件`;
  const none = html`<tr class="none">
    <td colspan="5" class="empty">没有符合条件的案件</td>
  </tr>`;
  $("#rows").innerHTML = html`${page.items.length ? "" : none}${page.items.map(
    (c) =>
      html`<tr data-id="${c.id}" class="${c.id === current ? "on" : ""}">
        <td>${c.number}</td>
        <td>${statusBadge(c)}</td>
        <td>${c.matter_code || "未分类"} ${remitBadge(c, workflow, channelNames)}</td>
        <td>${towns[c.town_code] || ""}</td>
        <td class="${c.overdue ? "overdue" : ""}">${fmt(c.due_at)}</td>
      </tr>`,
  )}`;
}
$("#refresh").onclick = load;
$("#f-suspected").onchange = load;
$("#rows").onclick = (e) => {
  const tr = e.target.closest("tr[data-id]");
  if (tr) show(+tr.dataset.id);
};

// an action that changes the status for a stated reason undoes or refuses work (退回, 挂账, 返工,
// 作废 …): its button is marked
const refuses = (spec) =>
  !spec.event_only && spec.fields.some((f) => f.name === "reason" && f.required);

function timelineItem(e) {
  const label = workflow.actionLabel(e.action, "zh", e.action_label);
  return html`<li>
    <b>${label}</b> <small>${fmt(e.at)} · ${e.actor_label}</small>
    ${e.note ? html`<div>${e.note}</div>` : ""}
    ${(e.attachments || []).length ? html`<div class="photos">${photoLinks(e.attachments)}</div>` : ""}
  </li>`;
}

async function show(id) {
  current = id;
  document
    .querySelectorAll("#rows tr")
    .forEach((tr) => tr.classList.toggle("on", +tr.dataset.id === id));
  const c = await api(`/api/v1/cases/${id}`);
  const reports = await api(`/api/v1/cases/${id}/reports`).catch(() => []);
  const acts = c.allowed_actions.map((a) => workflow.action(a)).filter((a) => a && a.api);
  const reporters = reports.map(
    (r) =>
      html`${r.reporter_name || "—"} ${r.phone_masked}${r.is_supporter ? "（附议）" : ""}<br />`,
  );
  const referral = referralAction(acts);
  $("#detail").innerHTML = html`<h3>
      ${c.number} ${statusBadge(c)} ${remitBadge(c, workflow, channelNames)}
    </h3>
    <p>${c.description || html`<span class="muted">（无描述）</span>`}</p>
    <dl>
      <dt>事项</dt>
      <dd>${c.matter_name || "未分类"}</dd>
      <dt>位置</dt>
      <dd>${c.town_name || ""} · 网格 ${c.grid_cell_code || "—"}</dd>
      <dt>处置单位</dt>
      <dd>${c.unit_name || "—"}</dd>
      <dt>当前时限</dt>
      <dd class="${c.overdue ? "overdue" : ""}">
        ${fmt(c.due_at)}${c.deadline_unknown ? "（节假日安排未发布）" : ""}${
          c.deadline_provisional ? "（暂按工作日计算）" : ""
        }
      </dd>
      <dt>上报人</dt>
      <dd>${reports.length ? reporters : "—"}</dd>
      ${remitFacts(c, workflow)}
    </dl>
    <div class="photos">${photoLinks(reports.flatMap((r) => r.media))}</div>
    ${remitNotice(c, workflow)}
    <div class="actions">
      ${acts.map(
        (a) =>
          html`<button data-act="${a.code}" class="${refuses(a) ? "warn" : ""}">
            ${a.label_zh}
          </button>`,
      )}
    </div>
    <div id="act-form"></div>
    <p id="act-err" class="err" hidden></p>
    <h4>办理过程</h4>
    <ol class="tl">
      ${c.timeline.map(timelineItem)}
    </ol>`;
  $("#detail")
    .querySelectorAll("[data-act]")
    .forEach((b) => {
      b.onclick = () => form(workflow.action(b.dataset.act), c);
    });
  // a suspected case opens with its referral to the suspected channel ready to send
  if (referral && isSuspected(c, workflow)) form(referral, c);
}

async function uploadPhoto(file) {
  const fd = new FormData();
  fd.append("photo", file, file.name || "photo.jpg");
  return (await api("/api/v1/photos", { method: "POST", body: fd })).id;
}

/** The form of action `spec` on case `c`; a channel field starts at the suspected channel. */
function form(spec, c) {
  const err = $("#act-err");
  err.hidden = true;
  const values = Object.fromEntries(
    spec.fields.filter((f) => f.kind === "channel").map((f) => [f.name, c.suspected_channel]),
  );
  const ctx = { units, matters, channels, values };
  $("#act-form").innerHTML = html`${actionForm(spec, ctx)}`;
  followChannels(spec, $("#act-form form"), ctx);
  $("#act-form form").onsubmit = async (e) => {
    e.preventDefault();
    const missing = missingFields(spec, e.target);
    if (missing.length) {
      err.textContent = `请填写：${missing.map((f) => f.label_zh).join("、")}`;
      err.hidden = false;
      e.target.elements.namedItem(missing[0].name).focus();
      return;
    }
    try {
      const body = await actionBody(spec, e.target, uploadPhoto);
      await api(`/api/v1/cases/${current}/actions/${spec.code}`, { method: "POST", body });
      await show(current);
      load();
    } catch (error) {
      err.textContent = error.message;
      err.hidden = false;
    }
  };
}

if (token) start();
else logout();
