/* The case view of the field app: what the handler or inspector needs on the spot (deadline,
   address and distance, the citizen's words and photos, the handler's before/after photos,
   navigation links, the latest history) and the actions the caller may take on it now, each
   with its form from the action registry (form.js), taken through the outbox (outbox.js). */
import { html, photoLinks, safeUrl } from "../shared/html.js";
import { isNetworkError } from "../shared/net.js";
import { api } from "../shared/staff_auth.js";
import { actionForm, formBody, showRefusal, wirePhotos } from "./form.js";
import { fmt, lang, t } from "./i18n.js";
import { keep, kept } from "./keep.js";
import { pendingAll, queueAction, removeItem } from "./outbox.js";
import { distanceFromHere, distanceText, navLinks } from "./place.js";
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
import { countdown } from "./tasks.js";

// the actions taken on the phone, in the order their buttons are offered
const FIELD_ACTIONS = ["start", "submit_result", "verify", "request_extension", "return", "rework"];
const PRIMARY = new Set(["start", "submit_result", "verify"]);

/** Show the case `id` (read again from the server; offline, what the list knows). */
export async function openTask(id) {
  const row = state.cases.find((c) => c.id === id);
  const key = `${state.me.id}:case:${id}`;
  try {
    const [detail, reports] = await Promise.all([
      api(`/api/v1/cases/${id}`),
      api(`/api/v1/cases/${id}/reports`),
    ]);
    state.current = { detail, reports };
    state.caseAt = null;
    keep(key, state.current);
  } catch (error) {
    if (!isNetworkError(error)) return toast(error.message);
    // offline: the case as last read on this phone, else what the list knows; the actions
    // the registry allows
    const last = await kept(key);
    if (!last && !row) return toast(t("no_network"));
    const same = state.current && state.current.detail.id === id;
    if (last) [state.current, state.caseAt] = [last.value, last.at];
    else if (!same) state.current = { detail: { ...row, timeline: [] }, reports: [] };
    if (!last) state.caseAt = state.listAt;
    delete state.current.detail.allowed_actions; // unknown offline: offered() asks the registry
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
   the outbox (or the case could not be read, offline), those the registry allows in the status
   the case will be in to the caller's roles. */
function offered(detail) {
  if (!state.list || !state.list.act) return [];
  if (detail.allowed_actions && !waiting(detail).length)
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

export function renderTask() {
  const { detail: c, reports } = state.current;
  asOf($("#task-as-of"), state.caseAt);
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
  if (state.list && !state.list.act) {
    box.hidden = false;
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
