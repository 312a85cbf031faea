/* My reports (the outbox first, then what the server has) and a case's detail: its status and
   timeline in the registry's words (GET /api/v1/workflow), and — when the server says the
   citizen may (`can_rate`, `can_dispute`) — rating it or saying it is not fixed. */
import { html, photoLinks, safeUrl } from "../shared/html.js";
import { loadWorkflow } from "../shared/workflow.js";
import { fmt, lang, t } from "./i18n.js";
import { go, signedOut } from "./nav.js";
import { api, errorText, isNetworkError, outcomeOf, uploadPhoto } from "./net.js";
import { renderOutbox } from "./outbox.js";
import {
  clearFields,
  clearForm,
  fieldError,
  generalError,
  problemOf,
  showProblem,
} from "./problems.js";
import { thumbImg } from "./store.js";
import { $, toast } from "./ui.js";

// read once when the app starts; the service worker keeps a copy for offline use
const workflowLoaded = loadWorkflow();
let workflow = null;
const statusLabel = (c) => workflow.statusLabel(c.status, lang, c.status_label);

export async function loadMine() {
  renderOutbox();
  try {
    workflow = await workflowLoaded;
    const list = await api("/api/v1/citizen/reports");
    const outboxShown = !$("#outbox").hidden;
    $("#mine-empty").hidden = list.length > 0 || outboxShown;
    $("#mine-list").innerHTML = html`${list.map((c) => {
      const thumb = safeUrl(c.thumb_url);
      return html`<li data-case="${c.case_id}">
        ${thumb ? html`<img alt="" src="${thumb}" />` : ""}
        <div class="t">
          <b>${c.matter_name || c.number}</b
          ><small
            >${c.number} · ${fmt(c.reported_at)}${c.supporter ? ` · ${t("supporter")}` : ""}</small
          >
        </div>
        <span class="status ${c.status}">${statusLabel(c)}</span>
      </li>`;
    })}`;
  } catch (e) {
    if (outcomeOf(e) === "auth") signedOut();
    else if (!isNetworkError(e)) toast(e.message);
  }
}
$("#mine-list").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-case]");
  if (li) openCase(li.dataset.case);
});
let openCaseId = null,
  stars = 0,
  disputePhotos = [];
async function openCase(id) {
  openCaseId = id;
  $("#case-error").hidden = true;
  try {
    workflow = await workflowLoaded;
    renderCase(await api(`/api/v1/citizen/cases/${encodeURIComponent(id)}`));
    go("case");
  } catch (e) {
    toast(errorText(e));
  }
}
function renderCase(c) {
  $("#case-number").textContent = c.number;
  $("#case-status").textContent = statusLabel(c);
  $("#case-status").className = `status ${c.status}`;
  $("#case-matter").textContent = [c.matter_name, c.town_name].filter(Boolean).join(" · ");
  $("#case-desc").textContent = c.description;
  $("#case-unit").textContent = c.unit_name || t("not_set");
  $("#case-due").textContent = fmt(c.due_at);
  $("#case-before").innerHTML = html`${photoLinks(c.before_photos)}`;
  $("#case-after").innerHTML = html`${photoLinks(c.after_photos)}`;
  $("#case-timeline").innerHTML = html`${c.timeline.map(
    (e) =>
      html`<li>
        <time>${fmt(e.at)}</time><b>${workflow.actionLabel(e.action, lang, e.label)}</b>
        ${e.note ? html`<div>${e.note}</div>` : ""}
        ${e.photos.length ? html`<div class="photos">${photoLinks(e.photos)}</div>` : ""}
      </li>`,
  )}`;
  $("#rate-box").hidden = !c.can_rate;
  $("#rated").hidden = c.rating == null;
  $("#rated").textContent =
    c.rating != null
      ? `${t("rated", { r: c.rating })}${c.rating_comment ? "：" + c.rating_comment : ""}`
      : "";
  $("#dispute-box").hidden = !c.can_dispute;
  stars = 0;
  renderStars();
  disputePhotos = [];
  $("#dispute-photos").replaceChildren();
  clearForm("rate");
  clearForm("dispute");
}
function renderStars() {
  // the scale is the registry's (the rate action's `rating` field); none while it is unknown
  const rating = workflow?.action("rate")?.fields.find((f) => f.name === "rating");
  const range = rating
    ? Array.from({ length: rating.maximum - rating.minimum + 1 }, (_, k) => rating.minimum + k)
    : [];
  $("#stars").innerHTML = html`${range.map(
    (i) =>
      html`<button
        type="button"
        role="radio"
        aria-checked="${i === stars}"
        aria-label="${i}"
        data-star="${i}"
        class="${i <= stars ? "on" : ""}"
      >
        ★
      </button>`,
  )}`;
}
$("#stars").addEventListener("click", (e) => {
  const b = e.target.closest("[data-star]");
  if (b) {
    stars = +b.dataset.star;
    renderStars();
    clearFields("rate", "rating");
  }
});
$("#rate-comment").addEventListener("input", () => clearFields("rate", "comment"));
$("#rate-btn").addEventListener("click", async () => {
  clearForm("rate");
  if (!stars) return fieldError("rate", "rating", t("need_stars"));
  try {
    renderCase(
      await api(`/api/v1/citizen/cases/${encodeURIComponent(openCaseId)}/rate`, {
        method: "POST",
        body: { rating: stars, comment: $("#rate-comment").value },
      }),
    );
    toast(t("thanks"));
  } catch (e) {
    if (outcomeOf(e) === "auth") signedOut();
    else showProblem("rate", problemOf(e, "rate"));
  }
});
$("#dispute-reason").addEventListener("input", () => clearFields("dispute", "reason"));
$("#dispute-photo").addEventListener("change", async (e) => {
  const f = e.target.files && e.target.files[0];
  if (!f) return;
  clearFields("dispute", "photo", "photo_ids");
  try {
    const r = await uploadPhoto(f);
    disputePhotos.push(r.id);
    $("#dispute-photos").append(thumbImg({ thumb: r.thumb_url, url: r.url }));
  } catch (err) {
    if (outcomeOf(err) === "auth") signedOut();
    else if (isNetworkError(err)) generalError("dispute", t("no_network"));
    else fieldError("dispute", "photo", err.message);
  }
  e.target.value = "";
});
$("#dispute-btn").addEventListener("click", async () => {
  clearForm("dispute");
  try {
    renderCase(
      await api(`/api/v1/citizen/cases/${encodeURIComponent(openCaseId)}/dispute`, {
        method: "POST",
        body: { reason: $("#dispute-reason").value, photo_ids: disputePhotos },
      }),
    );
    toast(t("reopened"));
    $("#dispute-reason").value = "";
  } catch (e) {
    if (outcomeOf(e) === "auth") return signedOut();
    const p = problemOf(e, "dispute");
    // an empty box is "say what is wrong", not the server's generic "too short"
    if (!$("#dispute-reason").value.trim())
      p.fields.forEach((f) => {
        if (f.field === "reason") f.message = t("need_reason");
      });
    showProblem("dispute", p);
  }
});
