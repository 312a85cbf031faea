/* The urged and escalated cases as cards: who urged or escalated and why, the deadline, and a
   one-tap 批示 (text with quick phrases) that is sent as the case action `instruct` and lands
   on the case's timeline, which each card can show. */
import { html } from "../shared/html.js";

const open = new Map(); // case id -> "instruct" | "timeline"
const timelines = new Map(); // case id -> the case detail's timeline, once read
const notices = new Map(); // case id -> the last result of sending a 批示 ({bad, key | text})

function due(c, ctx) {
  if (!c.due_at) return html`<span class="due">${ctx.t("no_due")}</span>`;
  const at = ctx.fmt(c.due_at);
  return c.overdue
    ? html`<span class="due late">${ctx.t("overdue_since", { at })}</span>`
    : html`<span class="due">${ctx.t("due", { at })}</span>`;
}

function instructForm(c, ctx) {
  const phrases = ctx.t("phrases");
  return html`<form class="instruct-form" data-id="${c.case_id}">
    <div class="phrases">
      ${phrases.map((p) => html`<button type="button" class="chip" data-phrase="${p}">${p}</button>`)}
    </div>
    <textarea
      name="note"
      rows="3"
      maxlength="2000"
      placeholder="${ctx.t("instruct_placeholder")}"
    ></textarea>
    <div class="row">
      <button class="primary" type="submit">${ctx.t("send")}</button>
      <button type="button" data-close>${ctx.t("cancel")}</button>
    </div>
  </form>`;
}

function timeline(c, ctx) {
  const rows = timelines.get(c.case_id);
  if (!rows) return html`<p class="muted">…</p>`;
  const wf = ctx.state.workflow;
  return html`<ol class="tl">
    ${rows.map(
      (e) =>
        html`<li class="${e.action}">
          <b>${wf.actionLabel(e.action, ctx.lang(), e.action_label)}</b>
          <small>${ctx.fmt(e.at)} · ${e.actor_label}</small>
          ${e.note ? html`<div>${e.note}</div>` : ""}
        </li>`,
    )}
  </ol>`;
}

function card(c, ctx) {
  const wf = ctx.state.workflow;
  const lang = ctx.lang();
  const drawer = open.get(c.case_id);
  const notice = notices.get(c.case_id);
  const where = [c.town_name, c.unit_name].filter(Boolean).join(" · ");
  return html`<li class="case ${c.last_action}" data-id="${c.case_id}">
    <div class="head">
      <b class="num">${c.number}</b>
      <span class="badge">${wf.statusLabel(c.status, lang, c.status_label)}</span>
      <span class="badge act ${c.last_action}"
        >${wf.actionLabel(c.last_action, lang, c.last_action_label)}</span
      >
      ${due(c, ctx)}
    </div>
    ${c.description ? html`<p class="desc">${c.description}</p>` : ""}
    ${where ? html`<p class="meta">${where}</p>` : ""}
    <p class="why">
      <b
        >${ctx.t("by", { who: c.last_by, action: wf.actionLabel(c.last_action, lang, c.last_action_label) })}</b
      >
      <small>${ctx.fmt(c.last_at)}</small>
      ${c.last_note ? html`<span class="note">“${c.last_note}”</span>` : ""}
    </p>
    <p class="muted small">${ctx.t("times", { urges: c.urges, escalations: c.escalations })}</p>
    <div class="acts">
      <button type="button" class="primary" data-instruct>${ctx.t("instruct")}</button>
      <button type="button" data-timeline>
        ${drawer === "timeline" ? ctx.t("hide") : ctx.t("timeline")}
      </button>
    </div>
    ${
      notice
        ? html`<p class="msg ${notice.bad ? "bad" : ""}">
            ${notice.key ? ctx.t(notice.key) : notice.text}
          </p>`
        : ""
    }
    ${drawer === "instruct" ? instructForm(c, ctx) : ""}
    ${drawer === "timeline" ? timeline(c, ctx) : ""}
  </li>`;
}

export function caseCards(ctx) {
  const cases = ctx.state.cases;
  if (!cases.length) return html`<li class="empty muted">${ctx.t("empty")}</li>`;
  return html`${cases.map((c) => card(c, ctx))}`;
}

async function readTimeline(id, ctx) {
  const detail = await ctx.api(`/api/v1/cases/${id}`);
  timelines.set(id, detail.timeline);
}

function redraw(list, ctx) {
  list.innerHTML = html`${caseCards(ctx)}`;
}

/** The cards' buttons and forms (one listener on the list; the cards are redrawn often). */
export function bindCards(list, ctx) {
  list.addEventListener("click", async (e) => {
    const li = e.target.closest("li.case");
    if (!li) return;
    const id = +li.dataset.id;
    if (e.target.closest("[data-phrase]")) {
      const area = li.querySelector("textarea");
      const phrase = e.target.closest("[data-phrase]").dataset.phrase;
      area.value = area.value.trim() ? `${area.value.trim()}；${phrase}` : phrase;
      area.focus();
      return;
    }
    if (e.target.closest("[data-close]")) {
      open.delete(id);
    } else if (e.target.closest("[data-instruct]")) {
      open.set(id, "instruct");
      notices.delete(id);
    } else if (e.target.closest("[data-timeline]")) {
      if (open.get(id) === "timeline") open.delete(id);
      else {
        open.set(id, "timeline");
        redraw(list, ctx);
        await readTimeline(id, ctx).catch(() => timelines.set(id, []));
      }
    } else return;
    redraw(list, ctx);
    if (open.get(id) === "instruct") list.querySelector(`li[data-id="${id}"] textarea`).focus();
  });
  list.addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target.closest("form.instruct-form");
    const id = +form.dataset.id;
    const note = form.elements.namedItem("note").value.trim();
    if (!note) {
      notices.set(id, { bad: true, key: "instruct_missing" });
      redraw(list, ctx);
      return;
    }
    form.querySelector("[type=submit]").disabled = true;
    try {
      const detail = await ctx.api(`/api/v1/cases/${id}/actions/instruct`, {
        method: "POST",
        body: { note },
      });
      timelines.set(id, detail.timeline);
      open.set(id, "timeline");
      notices.set(id, { bad: false, key: "instructed" });
    } catch (error) {
      notices.set(id, { bad: true, text: error.message });
    }
    redraw(list, ctx);
  });
}
