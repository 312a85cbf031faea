/* The case detail: what was reported (every photo: the citizen's, the handler's before and
   after, the inspector's, the dispute's), the rating and the dispute reason, a small map, the
   deadline counting down, the timeline, and exactly the actions the server says this caller
   may take now (`allowed_actions`), each with the form the registry describes. */
import { html, photoLinks } from "../shared/html.js";
import { api } from "../shared/staff_auth.js";

async function uploadPhoto(file) {
  const fd = new FormData();
  fd.append("photo", file, file.name || "photo.jpg");
  return (await api("/api/v1/photos", { method: "POST", body: fd })).id;
}
import { actionBody, actionForm, missingFields, wireForm } from "./actions.js";
import { smallMap } from "./map.js";
import { isSuspected, referralAction, remitBadge, remitFacts, remitNotice } from "./remit.js";
import { currentLang, sourceLabel, t } from "./words.js";

const $ = (s) => document.querySelector(s);

// which photos a timeline row's attachments are, by the action that carried them
const PHOTO_GROUPS = [
  ["photos_before", (e) => e.action === "start" || (e.data && e.data.photo_stage === "before")],
  [
    "photos_after",
    (e) => e.action === "submit_result" || (e.data && e.data.photo_stage === "after"),
  ],
  ["photos_verify", (e) => e.action === "verify" || e.action === "rework"],
  ["photos_dispute", (e) => e.action === "reopen"],
];

/** "2天3小时" / "3h 20min": a duration in the page's language. */
export function duration(ms) {
  const mins = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const sep = currentLang() === "en" ? " " : "";
  const parts = [];
  if (d) parts.push(`${d}${t("d")}`);
  if (d || h) parts.push(`${h}${t("h")}`);
  if (!d) parts.push(`${m}${t("m")}`);
  return parts.join(sep);
}

/** Every [data-due] element shows the time left (or overdue) until its deadline. */
export function tickCountdowns() {
  const now = Date.now();
  document.querySelectorAll("[data-due]").forEach((el) => {
    const left = new Date(el.dataset.due).getTime() - now;
    el.textContent =
      left >= 0 ? t("left", { t: duration(left) }) : t("overdue_by", { t: duration(left) });
    el.classList.toggle("overdue", left < 0);
    el.classList.toggle("soon", left >= 0 && left < 4 * 3600 * 1000);
  });
}

function photoGroups(c, reports) {
  const groups = [["photos_citizen", reports.flatMap((r) => r.media || [])]];
  for (const [key, test] of PHOTO_GROUPS)
    groups.push([key, c.timeline.filter(test).flatMap((e) => e.attachments || [])]);
  return groups.filter(([, urls]) => urls.length);
}

function reporterLine(r, ctx) {
  const canReveal = ctx.me.roles.includes("reveal_phone") && r.citizen_id;
  return html`<div class="reporter" data-report="${r.id}">
    ${r.reporter_name || "—"}
    <span class="phone">${r.phone_masked}</span>${r.is_supporter ? t("supporter") : ""}
    ${canReveal ? html`<button type="button" class="link" data-reveal="${r.citizen_id}">${t("reveal")}</button>` : ""}
    ${ctx.canSplit && r.is_supporter ? html`<button type="button" class="link" data-split="${r.id}">${t("split")}</button>` : ""}
  </div>`;
}

function dueLine(c, ctx) {
  if (!c.due_at) return t("no_deadline");
  return html`${ctx.fmt(c.due_at)} ·
    <b data-due="${c.due_at}"></b>${c.deadline_unknown ? t("unknown_deadline") : ""}${
      c.deadline_provisional ? t("provisional") : ""
    }`;
}

function lastOf(c, action) {
  const rows = c.timeline.filter((e) => e.action === action);
  return rows[rows.length - 1];
}

function timelineItem(e, ctx) {
  const label = ctx.workflow.actionLabel(e.action, currentLang(), e.action_label);
  return html`<li data-action="${e.action}">
    <b>${label}</b> <small>${ctx.fmt(e.at)} · ${e.actor_label}</small>
    ${e.note ? html`<div>${e.note}</div>` : ""}
    ${(e.attachments || []).length ? html`<div class="photos">${photoLinks(e.attachments)}</div>` : ""}
  </li>`;
}

/** Draw case `id` into #detail. `ctx`: {workflow, me, units, matters, categories, channels,
    channelNames, fmt, canSplit, changed(case)} — `changed` after an action succeeded. */
export async function showCase(id, ctx) {
  const lang = currentLang();
  const [c, reports] = await Promise.all([
    api(`/api/v1/cases/${id}`),
    api(`/api/v1/cases/${id}/reports`).catch(() => []),
  ]);
  const acts = c.allowed_actions.map((a) => ctx.workflow.action(a)).filter((a) => a && a.api);
  const status = ctx.workflow.statusLabel(c.status, lang, c.status_label);
  const rated = lastOf(c, "rate");
  const disputed = lastOf(c, "reopen");
  const pending = c.pending_extension;
  $("#detail").innerHTML = html`<h3>
      <span class="number">${c.number}</span>
      <span class="badge ${c.status}">${status}</span>
      ${remitBadge(c, ctx.workflow, ctx.channelNames)}
      ${c.escalation_level ? html`<span class="badge esc">↑${c.escalation_level}</span>` : ""}
    </h3>
    <p class="desc">${c.description || html`<span class="muted">${t("no_description")}</span>`}</p>
    <dl>
      <dt>${t("matter")}</dt>
      <dd>
        ${c.matter_name || t("unclassified")}
        ${c.matter_code ? html`<small>${c.matter_code}</small>` : ""}
      </dd>
      <dt>${t("place")}</dt>
      <dd>
        ${c.town_name || ""} · ${t("grid")} ${c.grid_cell_code || "—"}
        ${c.address ? html`· ${c.address}` : ""}
      </dd>
      <dt>${t("unit")}</dt>
      <dd>${c.unit_name || "—"}</dd>
      <dt>${t("f_source")}</dt>
      <dd>${sourceLabel(c.source)} · ${ctx.fmt(c.reported_at)}</dd>
      <dt>${t("due")}</dt>
      <dd class="due ${c.overdue ? "overdue" : ""}">${dueLine(c, ctx)}</dd>
      <dt>${t("reporters")}</dt>
      <dd>${reports.length ? reports.map((r) => reporterLine(r, ctx)) : "—"}</dd>
      ${
        c.rating
          ? html`<dt>${t("rating")}</dt>
              <dd data-fact="rating">
                <span class="stars">${"★".repeat(c.rating)}${"☆".repeat(5 - c.rating)}</span>
                ${c.rating_comment || (rated && rated.data && rated.data.comment) || ""}
              </dd>`
          : ""
      }
      ${
        disputed
          ? html`<dt>${t("dispute")}</dt>
              <dd data-fact="dispute">${disputed.note || "—"}</dd>`
          : ""
      }
      ${remitFacts(c, ctx.workflow)}
    </dl>
    ${
      pending
        ? html`<p class="pending" data-fact="pending_extension">
            ${t("pending_ext", { amount: pending.amount, unit: unitWord(ctx, pending.unit), reason: pending.reason })}
          </p>`
        : ""
    }
    ${photoGroups(c, reports).map(
      ([key, urls]) =>
        html`<div class="photo-group" data-photos="${key}">
          <small>${t(key)}</small>
          <div class="photos">${photoLinks(urls)}</div>
        </div>`,
    )}
    <div id="mini-map" class="minimap"></div>
    ${remitNotice(c, ctx.workflow)}
    <div class="actions">
      ${acts.map(
        (a) =>
          html`<button data-act="${a.code}" class="${refuses(a) ? "warn" : ""}">
            ${lang === "en" ? a.label_en : a.label_zh}
          </button>`,
      )}
    </div>
    <div id="act-form"></div>
    <p id="act-err" class="err" hidden></p>
    <h4>${t("timeline")}</h4>
    <ol class="tl">
      ${c.timeline.map((e) => timelineItem(e, ctx))}
    </ol>`;
  tickCountdowns();
  smallMap($("#mini-map"), c);
  $("#detail")
    .querySelectorAll("[data-act]")
    .forEach((b) => {
      b.onclick = () => openForm(ctx.workflow.action(b.dataset.act), c, ctx);
    });
  wireReporters(c, ctx);
  const referral = referralAction(acts);
  if (referral && isSuspected(c, ctx.workflow)) openForm(referral, c, ctx);
  return c;
}

// an action that changes the status for a stated reason undoes or refuses work (退回, 挂账,
// 返工, 作废 …): its button is marked
const refuses = (spec) =>
  !spec.event_only && spec.fields.some((f) => f.name === "reason" && f.required);

function unitWord(ctx, unit) {
  const spec = ctx.workflow.action("request_extension");
  const field = spec && spec.fields.find((f) => f.kind === "time_unit");
  const option = field && (field.options || []).find((o) => o.value === unit);
  return option ? (currentLang() === "en" ? option.label_en : option.label_zh) : unit;
}

function wireReporters(c, ctx) {
  $("#detail")
    .querySelectorAll("[data-reveal]")
    .forEach((b) => {
      b.onclick = async () => {
        const line = b.closest(".reporter");
        try {
          const r = await api(`/api/v1/citizens/${b.dataset.reveal}/reveal-phone`, {
            method: "POST",
            body: { case_id: c.id, reason: t("reveal_default") },
          });
          line.querySelector(".phone").textContent = r.phone;
          b.remove();
        } catch (error) {
          showError(error.message);
        }
      };
    });
  $("#detail")
    .querySelectorAll("[data-split]")
    .forEach((b) => {
      b.onclick = async () => {
        try {
          const r = await api(`/api/v1/cases/${c.id}/reports/${b.dataset.split}/split`, {
            method: "POST",
          });
          await showCase(c.id, ctx);
          showError(t("split_done", { n: r.case_number }), true);
          ctx.changed(c);
        } catch (error) {
          showError(error.message);
        }
      };
    });
}

function showError(message, ok = false) {
  const err = $("#act-err");
  err.textContent = message;
  err.classList.toggle("ok", ok);
  err.hidden = false;
}

/** What an action's form needs beyond the registry: merge candidates, reply templates. */
async function formContext(spec, c, ctx) {
  const wants = (kind) => spec.fields.some((f) => f.kind === kind);
  const texts = spec.fields.some((f) => f.name === "note" || f.name === "reason");
  const q = new URLSearchParams({ status: c.status });
  if (c.matter_code) q.set("matter_code", c.matter_code);
  const [candidates, templates] = await Promise.all([
    wants("case_number") ? api(`/api/v1/cases/${c.id}/merge-candidates`).catch(() => []) : null,
    texts ? api(`/api/v1/reply-templates?${q}`).catch(() => []) : [],
  ]);
  // a case without a matter gets the templates for every matter alone
  const fitting = (templates || []).filter((tpl) => c.matter_code || tpl.matter_code == null);
  const values = Object.fromEntries(
    spec.fields.filter((f) => f.kind === "channel").map((f) => [f.name, c.suspected_channel]),
  );
  return { ...ctx, candidates, templates: fitting, values, description: c.description, api };
}

/** The form of action `spec` on case `c`; sent, the case is drawn again. */
async function openForm(spec, c, ctx) {
  $("#act-err").hidden = true;
  const fctx = await formContext(spec, c, ctx);
  $("#act-form").innerHTML = html`${actionForm(spec, fctx)}`;
  const form = $("#act-form form");
  wireForm(spec, form, fctx);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const missing = missingFields(spec, form);
    if (missing.length) {
      const lang = currentLang();
      showError(
        t("fill", { f: missing.map((f) => (lang === "en" ? f.label_en : f.label_zh)).join("、") }),
      );
      const el = form.elements.namedItem(missing[0].name);
      (el.type === "hidden" ? form.querySelector(".matter-q") : el).focus();
      return;
    }
    try {
      const body = await actionBody(spec, form, uploadPhoto);
      await api(`/api/v1/cases/${c.id}/actions/${spec.code}`, { method: "POST", body });
      const fresh = await showCase(c.id, ctx);
      ctx.changed(fresh);
    } catch (error) {
      showError(error.message);
    }
  };
  const first = form.querySelector(".matter-q, input:not([type=hidden]), select, textarea");
  if (first) first.focus();
}
