/* 掌上办案: the field app of handlers, inspectors and area chiefs, plain JavaScript modules over
   /api/v1 (see docs/DESIGN.md, "Front-end"). This module signs staff in (auth.js), shows the
   lists their roles give (tasks.js) sorted by deadline or by distance from the phone
   (place.js), a case with its photos, navigation links and the actions the caller may take on
   it now, whose forms come from the action registry (form.js); actions go through the outbox
   (outbox.js), so that they wait for the network when there is none. Server and user text
   reaches the page through textContent or the escaping `html` tag (shared/html.js). */
import { html, photoLinks, safeUrl } from "../shared/html.js";
import { isNetworkError } from "../shared/net.js";
import { loadWorkflow, Workflow } from "../shared/workflow.js";
import { api, signIn, signOut, signedIn, whenSignedOut } from "./auth.js";
import { actionForm, formBody, showRefusal, wirePhotos } from "./form.js";
import { fmt, lang, setLang, t, translatePage } from "./i18n.js";
import { flush, onOutboxChange, pendingAll, queueAction, removeItem } from "./outbox.js";
import { distanceFromHere, distanceText, here, navLinks, watchPosition } from "./place.js";
import { countdown, listsFor, loadList, sortCases } from "./tasks.js";

const $ = (s) => document.querySelector(s);
const $$ = (s) => Array.from(document.querySelectorAll(s));

// the actions taken on the phone, in the order their buttons are offered
const FIELD_ACTIONS = ["start", "submit_result", "verify", "request_extension", "return", "rework"];
const PRIMARY = new Set(["start", "submit_result", "verify"]);

const state = {
  me: null,
  workflow: new Workflow(null),
  matters: new Map(),
  lists: [],
  list: null,
  cases: [],
  sort: "due",
  current: null, // {detail, reports}
  pending: [], // the outbox's items
};

let toastTimer;
function toast(msg) {
  const el = $("#toast");
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

function show(view) {
  ["login", "list", "task"].forEach((v) => {
    $(`#view-${v}`).hidden = v !== view;
  });
  $("#logout").hidden = view === "login";
  window.scrollTo(0, 0);
}

const statusLabel = (code) => state.workflow.statusLabel(code, lang());
const actionLabel = (code) => state.workflow.actionLabel(code, lang());
const matterName = (c) => state.matters.get(c.matter_code) || c.matter_name || c.matter_code || "";

/* The status a case will be in once the actions waiting in the outbox for it are taken. */
function expectedStatus(c) {
  let status = c.status;
  for (const item of state.pending.filter((i) => i.case_id === c.id && i.state !== "rejected")) {
    const spec = state.workflow.action(item.action);
    status = (spec && spec.transitions[status]) || status;
  }
  return status;
}
const waiting = (c) => state.pending.filter((i) => i.case_id === c.id && i.state !== "rejected");

// ---- sign-in ----

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = $("#login-error");
  err.hidden = true;
  try {
    await signIn($("#username").value.trim(), $("#password").value);
    $("#password").value = "";
    await start();
  } catch (error) {
    err.textContent = isNetworkError(error) ? t("no_network") : error.message || t("login_failed");
    err.hidden = false;
  }
});
$("#logout").addEventListener("click", () => signOut());
whenSignedOut(() => {
  state.me = null;
  show("login");
});

async function start() {
  try {
    state.me = await api("/api/v1/me");
  } catch {
    if (!signedIn()) return show("login");
    state.me = null;
    return show("login");
  }
  const [workflow, matters] = await Promise.all([
    loadWorkflow(),
    api("/api/v1/matters").catch(() => []),
  ]);
  state.workflow = workflow;
  state.matters = new Map(matters.map((m) => [m.code, m.name]));
  state.lists = listsFor(state.me.roles);
  state.list = state.lists[0] || null;
  $("#who").textContent = state.me.name;
  renderTabs();
  show("list");
  await refreshList();
  flush();
}

// ---- lists ----

function renderTabs() {
  $("#tabs").replaceChildren(
    ...state.lists.map((l) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.list = l.code;
      b.className = l === state.list ? "on" : "";
      b.textContent = t(`tab_${l.code}`);
      b.addEventListener("click", () => {
        state.list = l;
        renderTabs();
        refreshList();
      });
      return b;
    }),
  );
}

async function refreshList() {
  if (!state.list) {
    state.cases = [];
    return renderList();
  }
  const list = state.list;
  try {
    const cases = await loadList(api, list, state.workflow);
    if (list === state.list) state.cases = cases;
  } catch (error) {
    if (!isNetworkError(error)) toast(error.message);
  }
  renderList();
}

function taskItem(c) {
  const left = countdown(c);
  const status = expectedStatus(c);
  const d = distanceFromHere(c.lat, c.lon);
  const li = document.createElement("li");
  li.dataset.case = c.id;
  li.innerHTML = html`<div class="t">
    <div class="head">
      <b>${matterName(c) || c.number}</b>
      <span class="status ${status}">${statusLabel(status)}</span>
    </div>
    <p class="addr">${c.address || c.description}</p>
    <div class="meta">
      <span class="due ${left.level}">${left.text}</span>
      ${d != null ? html`<span class="dist">${distanceText(d)}</span>` : ""}
      ${waiting(c).length ? html`<span class="wait">${t("pending_badge", { n: waiting(c).length })}</span>` : ""}
      <small>${c.number}</small>
    </div>
  </div>`;
  li.addEventListener("click", () => openTask(c.id));
  return li;
}

function renderList() {
  const cases = sortCases(state.cases, state.sort);
  $("#tasks").replaceChildren(...cases.map(taskItem));
  $("#count").textContent = t("count", { n: cases.length });
  $("#empty").hidden = cases.length > 0;
  $("#empty").textContent = state.list ? t(`empty_${state.list.code}`) : "";
  $("#where").textContent = here.lat == null ? t("where_unknown") : t("where_known");
  $$("[data-sort]").forEach((b) => b.classList.toggle("on", b.dataset.sort === state.sort));
}

$$("[data-sort]").forEach((b) =>
  b.addEventListener("click", () => {
    state.sort = b.dataset.sort;
    renderList();
  }),
);

// ---- the outbox ----

function renderOutbox() {
  const items = state.pending;
  $("#pending").hidden = items.length === 0;
  $("#pending").textContent = t("pending_badge", { n: items.length });
  $("#outbox").hidden = items.length === 0;
  $("#outbox-title").textContent = t("outbox_title", { n: items.length });
  $("#outbox-list").replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li");
      li.className = `ob ${item.state}`;
      const why =
        item.state === "rejected"
          ? t("ob_rejected", { r: (item.failure && item.failure.detail) || "" })
          : t(
              `ob_${item.state === "sending" ? "sending" : item.state === "retry" ? "retry" : "pending"}`,
            );
      li.innerHTML = html`<b>${item.number} · ${actionLabel(item.action)}</b>
        <small>${fmt(item.created_at)} · ${why}</small>`;
      if (item.state === "rejected") {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn plain";
        b.textContent = t("ob_delete");
        b.addEventListener("click", () => removeItem(item.key));
        li.append(b);
      }
      return li;
    }),
  );
}

onOutboxChange((items) => {
  const before = state.pending.length;
  state.pending = items;
  renderOutbox();
  if (!$("#view-list").hidden) renderList();
  if (items.length < before && navigator.onLine && state.me) refreshList();
});
$("#pending").addEventListener("click", () => {
  show("list");
  $("#outbox").scrollIntoView();
});

function online() {
  $("#net").hidden = navigator.onLine;
}
window.addEventListener("online", online);
window.addEventListener("offline", online);

// ---- a case ----

async function openTask(id) {
  const row = state.cases.find((c) => c.id === id);
  try {
    const [detail, reports] = await Promise.all([
      api(`/api/v1/cases/${id}`),
      api(`/api/v1/cases/${id}/reports`),
    ]);
    state.current = { detail, reports };
  } catch (error) {
    if (!isNetworkError(error) || !row) return toast(error.message || t("no_network"));
    // offline: what the list knows, and the actions the registry allows
    const same = state.current && state.current.detail.id === id;
    state.current = same ? state.current : { detail: { ...row, timeline: [] }, reports: [] };
  }
  renderTask();
  show("task");
}

/** The handler's latest result: its photos before and after the work. */
function resultPhotos(detail) {
  const rows = (detail.timeline || []).filter((e) => e.action === "submit_result");
  const last = rows[rows.length - 1];
  if (!last) return { before: [], after: [] };
  const before = last.before_photos || [];
  return { before, after: last.attachments.filter((u) => !before.includes(u)) };
}

/* The actions offered: those the server says the caller may take now; while actions wait in
   the outbox, those the registry allows after them to the caller's roles. */
function offered(detail) {
  if (!state.list || !state.list.act) return [];
  if (!waiting(detail).length)
    return FIELD_ACTIONS.filter((a) => detail.allowed_actions.includes(a));
  const status = expectedStatus(detail);
  const roles = state.me.roles;
  return FIELD_ACTIONS.filter((a) => {
    const spec = state.workflow.action(a);
    if (!spec || !(status in spec.transitions)) return false;
    return roles.includes("admin") || spec.roles.some((r) => roles.includes(r));
  });
}

const gallery = (urls) =>
  urls.length
    ? html`<div class="photos">${photoLinks(urls)}</div>`
    : html`<p class="muted">${t("no_photos")}</p>`;

function renderTask() {
  const { detail: c, reports } = state.current;
  const left = countdown(c);
  const status = expectedStatus(c);
  const d = distanceFromHere(c.lat, c.lon);
  const citizen = reports.flatMap((r) => r.media || []);
  const description = (reports[0] && reports[0].description) || c.description;
  const result = resultPhotos(c);
  const events = (c.timeline || []).slice(-6).reverse();
  $("#task").innerHTML = html`<div class="case-head">
      <h2>${matterName(c) || c.number}</h2>
      <span class="status ${status}" id="task-status">${statusLabel(status)}</span>
    </div>
    <p class="muted">${c.number}</p>
    <dl class="kv">
      <dt>${t("due_at")}</dt>
      <dd>
        <span class="due ${left.level}" id="task-due">${left.text}</span>
        <small>${fmt(c.due_at)}</small>
      </dd>
      <dt>${t("address")}</dt>
      <dd id="task-address">
        ${c.address || [c.town_name, `${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}`].filter(Boolean).join(" · ")}
        ${d != null ? html`<small>(${distanceText(d)})</small>` : ""}
      </dd>
      <dt>${t("matter")}</dt>
      <dd>${matterName(c) || "—"}</dd>
    </dl>
    <h4>${t("description")}</h4>
    <p id="task-description">${description || "—"}</p>
    <h4>${t("citizen_photos")}</h4>
    <div id="citizen-photos">${gallery(citizen)}</div>
    ${
      result.before.length || result.after.length
        ? html`<div class="ba">
            <div>
              <h4>${t("before_photos")}</h4>
              <div id="handler-before">${gallery(result.before)}</div>
            </div>
            <div>
              <h4>${t("after_photos")}</h4>
              <div id="handler-after">${gallery(result.after)}</div>
            </div>
          </div>`
        : ""
    }
    <h4>${t("navigate")}</h4>
    <div class="nav" id="nav">
      ${navLinks(c).map(
        (l) =>
          html`<a
            class="btn secondary"
            data-app="${l.app}"
            href="${l.href.startsWith("geo:") ? l.href : safeUrl(l.href)}"
            target="_blank"
            rel="noopener noreferrer"
            >${t(l.app)}</a
          >`,
      )}
    </div>
    ${
      events.length
        ? html`<h4>${t("timeline")}</h4>
            <ul class="timeline">
              ${events.map((e) => html`<li><b>${actionLabel(e.action)}</b> <time>${fmt(e.at)}</time>${e.note ? html`<p>${e.note}</p>` : ""}</li>`)}
            </ul>`
        : ""
    }`;
  renderActions();
}

function renderActions() {
  const c = state.current.detail;
  const box = $("#actions");
  const codes = offered(c);
  box.hidden = !state.list;
  if (state.list && !state.list.act) {
    box.innerHTML = html`<p class="muted">${t("read_only")}</p>`;
    return;
  }
  box.hidden = codes.length === 0;
  box.innerHTML = html`<div class="acts">
    ${codes.map(
      (a) =>
        html`<button
          type="button"
          class="btn ${PRIMARY.has(a) ? "primary" : "secondary"}"
          data-action="${a}"
        >
          ${actionLabel(a)}
        </button>`,
    )}
  </div>`;
  box
    .querySelectorAll("[data-action]")
    .forEach((b) => b.addEventListener("click", () => openAction(b.dataset.action)));
}

function openAction(code) {
  const spec = state.workflow.action(code);
  if (!spec.fields.length) return take(spec, {}, [], null);
  const box = $("#actions");
  box.innerHTML = html`${actionForm(spec)}`;
  const form = box.querySelector("form");
  const files = wirePhotos(form);
  form.querySelector("[data-cancel]").addEventListener("click", renderActions);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const { body, missing } = formBody(spec, form, files());
    if (missing)
      return showRefusal(form, t("required", { f: missing[`label_${lang()}`] }), missing.name);
    take(spec, body, files(), form);
  });
  form.querySelector("textarea, input:not([type=file]), select")?.focus();
}

async function take(spec, body, files, form) {
  const c = state.current.detail;
  const buttons = $$("#actions button");
  buttons.forEach((b) => {
    b.disabled = true;
  });
  const r = await queueAction({
    caseId: c.id,
    number: c.number,
    action: spec.code,
    label: spec.label_zh,
    body,
    files,
  });
  buttons.forEach((b) => {
    b.disabled = false;
  });
  if (r.state === "sent") {
    toast(t("sent", { a: actionLabel(spec.code) }));
    state.current.detail = r.detail;
    renderTask();
    return;
  }
  if (r.state === "rejected") {
    const items = await pendingAll();
    const mine = items.find(
      (i) => i.state === "rejected" && i.case_id === c.id && i.action === spec.code,
    );
    if (mine) await removeItem(mine.key); // refused while the user is here: they correct it now
    if (form) return showRefusal(form, r.error.message, r.error.body.field);
    return toast(r.error.message);
  }
  toast(t("queued"));
  renderTask();
}

$("#back").addEventListener("click", () => {
  show("list");
  refreshList();
});

// ---- language, position, clock ----

$("#lang").addEventListener("click", () => {
  setLang(lang() === "en" ? "zh" : "en");
  renderTabs();
  renderList();
  renderOutbox();
  if (state.current && !$("#view-task").hidden) renderTask();
});

watchPosition(() => {
  if (!$("#view-list").hidden) renderList();
});
setInterval(() => {
  if (!$("#view-list").hidden) renderList();
}, 30000);

translatePage();
online();
pendingAll()
  .then((items) => {
    state.pending = items;
    renderOutbox();
  })
  .catch(() => {});
if ("serviceWorker" in navigator)
  navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(() => {});
if (signedIn()) start();
else show("login");
