/* 掌上办案: the field app of handlers, inspectors and area chiefs, plain JavaScript modules over
   /api/v1 (see docs/DESIGN.md, "Front-end"). This module signs staff in
   (shared/staff_auth.js), shows the lists their roles give (tasks.js) sorted by deadline or
   by distance from the phone (place.js), a case with its photos, navigation links and the actions the caller may take on
   it now, whose forms come from the action registry (form.js); actions go through the outbox
   (outbox.js), so that they wait for the network when there is none. Server and user text
   reaches the page through textContent or the escaping `html` tag (shared/html.js). The case
   view is case.js; what the modules share, state.js. */
import { html } from "../shared/html.js";
import { isNetworkError } from "../shared/net.js";
import { loadWorkflow } from "../shared/workflow.js";
import {
  api,
  signIn,
  signOut,
  signedIn,
  useLanguage,
  whenSignedOut,
  whoAmI,
} from "../shared/staff_auth.js";
import { openTask, renderTask } from "./case.js";
import { fmt, lang, setLang, t, translatePage } from "./i18n.js";
import { forget, keep, kept } from "./keep.js";
import { flush, onOutboxChange, pendingAll, removeItem } from "./outbox.js";
import { distanceFromHere, distanceText, here, watchPosition } from "./place.js";
import {
  $,
  $$,
  actionLabel,
  asOf,
  expectedStatus,
  matterName,
  show,
  state,
  statusLabel,
  toast,
  waiting,
} from "./state.js";
import { countdown, listsFor, loadList, sortCases } from "./tasks.js";

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
  forget();
  show("login");
});

async function start() {
  try {
    state.me = await whoAmI();
    keep("me", state.me);
  } catch (error) {
    // no network: the account this phone last saw signed in, with what it kept; signed out
    // (shared/staff_auth.js): sign in again
    const me = isNetworkError(error) && signedIn() ? await kept("me") : null;
    state.me = me && me.value;
    if (!state.me) return show("login");
  }
  const [workflow, matters] = await Promise.all([
    loadWorkflow(),
    api("/api/v1/matters").catch(() => []),
  ]);
  state.workflow = workflow;
  state.matters = new Map(matters.map((m) => [m.code, m.name]));
  state.lists = listsFor(state.me.roles);
  state.list = state.lists[0] || null;
  $("#who").textContent = [state.me.name, state.me.unit_name].filter(Boolean).join(" · ");
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
  const key = `${state.me.id}:list:${list.code}`;
  try {
    const cases = await loadList(api, list, state.workflow);
    keep(key, cases);
    if (list === state.list) [state.cases, state.listAt] = [cases, null];
  } catch (error) {
    if (!isNetworkError(error)) toast(error.message);
    else {
      // no network: the list as last read, and when
      const last = await kept(key);
      if (last && list === state.list) [state.cases, state.listAt] = [last.value, last.at];
    }
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
  asOf($("#list-as-of"), state.listAt);
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

useLanguage(() => (lang() === "en" ? "en" : "zh-CN"));
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
