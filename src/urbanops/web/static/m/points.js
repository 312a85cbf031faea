/* 我的积分: pending and available points and what they are worth, the citizen's valid reports
   and assists, their share link (`/m/?ref=<share code>`, see share.js), and the points entries,
   newest first, a page at a time (GET /api/v1/citizen/rewards, …/rewards/entries). */
import { html } from "../shared/html.js";
import { fmt, lang, t } from "./i18n.js";
import { signedOut } from "./nav.js";
import { api, isNetworkError, outcomeOf } from "./net.js";
import { read } from "./reads.js";
import "./rewards_words.js";
import { shareLink } from "./share.js";
import { $, toast } from "./ui.js";

const PAGE = 20;
let link = "";
let older = null; // the next page: entries older than this id (none: all shown)

function renderSummary(r) {
  $("#pt-available").textContent = r.available;
  $("#pt-pending").textContent = r.pending;
  $("#pt-value").textContent = t("pt_value", { y: r.value_yuan, p: r.point_value_fen / 100 });
  $("#pt-reports").textContent = r.valid_reports;
  $("#pt-assists").textContent = r.assists;
  $("#pt-waiting").textContent = r.pending_reports ? t("pt_waiting", { n: r.pending_reports }) : "";
  $("#pt-waiting").hidden = !r.pending_reports;
  $("#pt-frozen").hidden = !r.frozen;
  link = r.share_code ? shareLink(r.share_code) : "";
  $("#share-link").textContent = link;
  $("#share-box").hidden = !link;
}

function amount(e) {
  const parts = [];
  const signed = (n) => (n > 0 ? `+${n}` : `−${-n}`);
  if (e.available_delta)
    parts.push(
      html`<b class="${e.available_delta > 0 ? "plus" : "minus"}">${signed(e.available_delta)}</b>`,
    );
  if (e.pending_delta && !(e.kind === "release" && e.available_delta))
    parts.push(
      html`<small class="pend">${t("pt_pending_delta", { n: signed(e.pending_delta) })}</small>`,
    );
  return parts;
}

function entryItem(e) {
  const label = (lang === "en" ? e.kind_label_en : e.kind_label) || e.kind;
  const about = [e.case_number ? t("pt_case", { n: e.case_number }) : "", fmt(e.at)]
    .filter(Boolean)
    .join(" · ");
  return html`<li data-entry="${e.id}">
    <div class="t">
      <b>${label}</b>
      <small>${e.reason}</small>
      <small>${about}</small>
    </div>
    <div class="amt">${amount(e)}</div>
  </li>`;
}

function renderEntries(page, { more = false } = {}) {
  const list = page.entries;
  if (more) $("#entry-list").insertAdjacentHTML("beforeend", html`${list.map(entryItem)}`);
  else $("#entry-list").innerHTML = html`${list.map(entryItem)}`;
  older = page.next_before_id;
  $("#entries-more").hidden = older == null;
  $("#entries-empty").hidden = more || list.length > 0;
}

export async function loadPoints() {
  const summary = await read("points", "/api/v1/citizen/rewards", renderSummary, loadPoints);
  if (!summary) return;
  const first = `/api/v1/citizen/rewards/entries?limit=${PAGE}`;
  await read("points", first, (page) => renderEntries(page), null, { then: true });
}

$("#entries-more").addEventListener("click", async (e) => {
  const b = e.target;
  b.disabled = true;
  try {
    const page = await api(
      `/api/v1/citizen/rewards/entries?limit=${PAGE}&before_id=${encodeURIComponent(older)}`,
    );
    renderEntries(page, { more: true });
  } catch (err) {
    if (outcomeOf(err) === "auth") signedOut();
    else toast(isNetworkError(err) ? t("no_network") : err.message);
  } finally {
    b.disabled = false;
  }
});

$("#share-btn").addEventListener("click", async () => {
  if (!link) return;
  if (navigator.share) {
    try {
      await navigator.share({ title: t("share_title"), text: t("share_text"), url: link });
      return;
    } catch {
      /* closed, or not allowed: copy instead */
    }
  }
  try {
    await navigator.clipboard.writeText(link);
    toast(t("share_copied"));
  } catch {
    toast(t("share_copy_by_hand"));
  }
});
