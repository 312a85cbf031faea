/* 好礼 and 我的兑换: the prize catalogue as the citizen sees it (GET /api/v1/citizen/prizes:
   price, stock left, per-person limit, validity, whether they can redeem it now), redeeming
   one after a confirmation, and the citizen's redemptions with their voucher code and QR.

   A redemption carries an Idempotency-Key. The key is made for one attempt and kept on the
   phone (IndexedDB) until that attempt has a definite answer: a voucher, or a refusal (any
   4xx). When no answer comes (no network, a 5xx, a 429) the same key goes with the retry, so a
   tap repeated after a lost answer — even after the app was closed — gets the same voucher
   back instead of a second one. */
import { html, safeUrl } from "../shared/html.js";
import { fmt, fmtDay, lang, t } from "./i18n.js";
import { go, session, signedOut } from "./nav.js";
import { api, isNetworkError, outcomeOf } from "./net.js";
import { read } from "./reads.js";
import "./rewards_words.js";
import { kvDelete, kvGet, kvPut } from "./store.js";
import { $, toast } from "./ui.js";

const ICONS = {
  gift: "🎁",
  outing: "🏀",
  mystery: "🎉",
  phone_credit: "📱",
  data: "📶",
  cash_red_packet: "🧧",
};
const QR = /^\/api\/v1\/citizen\/redemptions\/\d+\/qr\.svg$/;
let catalogue = { available_points: 0, prizes: [] };
let pendingKeys = {}; // prize id → the key of an attempt that got no answer
let sheetPrize = null;
let sending = false;
let shownVoucher = null; // the one just redeemed: scrolled to and marked
let vouchers = [];

const keyName = (prizeId) => `redeem:${session.me ? session.me.id : 0}:${prizeId}`;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Why a prize cannot be redeemed now, as a short label, or "" when it can. */
function blocker(p, available) {
  if (!p.open) {
    if (p.valid_from && Date.parse(p.valid_from) > Date.now())
      return t("st_soon", { d: fmtDay(p.valid_from) });
    return t("st_ended");
  }
  if (p.stock <= 0) return t("st_sold_out");
  if (p.my_remaining_limit === 0) return t("st_limit");
  if (p.price_points > available) return t("st_short", { n: p.price_points - available });
  return "";
}

function prizeCard(p, available) {
  const why = blocker(p, available);
  const img = safeUrl(p.image_url);
  const limit =
    p.per_person_limit == null
      ? ""
      : p.my_redeemed
        ? t("limit_mine", { n: p.per_person_limit, m: p.my_redeemed })
        : t("limit_each", { n: p.per_person_limit });
  const pending = pendingKeys[p.id];
  const state = why ? (p.stock <= 0 ? "sold-out" : "blocked") : "open";
  return html`<li class="prize ${state}" data-prize="${p.id}">
    <div class="pic">${img ? html`<img src="${img}" alt="" />` : ICONS[p.kind] || "🎁"}</div>
    <div class="t">
      <b>${p.name}</b>
      <small class="desc">${p.description}</small>
      <div class="meta">
        <span class="price">${t("pts", { n: p.price_points })}</span>
        ${p.stock > 0 ? html`<span>${t("left", { n: p.stock })}</span>` : ""}
        ${limit ? html`<span>${limit}</span>` : ""}
        ${p.valid_until && p.open ? html`<span>${t("until", { d: fmtDay(p.valid_until) })}</span>` : ""}
      </div>
    </div>
    ${
      why && !pending
        ? html`<span class="why">${why}</span>`
        : html`<button class="btn primary small" type="button" data-redeem="${p.id}">
            ${pending ? t("redeem_again") : t("redeem")}
          </button>`
    }
  </li>`;
}

function renderCatalogue(data) {
  catalogue = data;
  $("#prizes-points").textContent = data.available_points;
  $("#prize-list").innerHTML = html`${
    data.prizes.length
      ? data.prizes.map((p) => prizeCard(p, data.available_points))
      : html`<li class="muted center">${t("no_prizes")}</li>`
  }`;
}

async function loadPendingKeys() {
  const found = {};
  await Promise.all(
    catalogue.prizes.map(async (p) => {
      const kept = await kvGet(keyName(p.id)).catch(() => null);
      if (kept) found[p.id] = kept;
    }),
  );
  pendingKeys = found;
}

export async function loadPrizes() {
  const data = await read("prizes", "/api/v1/citizen/prizes", renderCatalogue, loadPrizes);
  if (!data) return;
  await loadPendingKeys();
  if (Object.keys(pendingKeys).length) renderCatalogue(catalogue);
}

// ---- redeeming ----------------------------------------------------------------------------
function noteFor(p) {
  if (p.kind === "cash_red_packet") return t("rs_note_cash");
  if (p.kind === "phone_credit" || p.kind === "data") return t("rs_note_phone");
  return t("rs_note_station");
}

function sheetError(text) {
  $("#rs-error").textContent = text || "";
  $("#rs-error").hidden = !text;
}

function openSheet(p) {
  sheetPrize = p;
  $("#rs-name").textContent = p.name;
  $("#rs-price").textContent = t("pts", { n: p.price_points });
  $("#rs-after").textContent = t("pts", {
    n: Math.max(0, catalogue.available_points - p.price_points),
  });
  $("#rs-note").textContent = pendingKeys[p.id] ? t("rs_pending") : noteFor(p);
  $("#rs-ok").textContent = pendingKeys[p.id] ? t("redeem_again") : t("rs_ok");
  $("#rs-ok").disabled = false;
  sheetError("");
  $("#redeem-sheet").showModal();
}

// the citizen's words for a refusal, from its stable code (the server's own words otherwise)
function refusal(e) {
  const b = e.body || {};
  const words = {
    out_of_stock: () => t("e_out_of_stock"),
    limit_reached: () => t("e_limit", { n: b.limit, m: b.redeemed }),
    insufficient_points: () =>
      t("e_points", { p: b.price ?? sheetPrize.price_points, a: b.available }),
    prize_inactive: () => t("e_inactive"),
    prize_not_yet_valid: () => t("e_not_yet"),
    prize_expired: () => t("e_expired"),
    idempotency_key_reused: () => t("e_key"),
    prize_not_found: () => t("e_gone"),
  }[b.code];
  return words ? words() : e.message || t("error");
}

async function redeem(p) {
  if (sending) return;
  sending = true;
  $("#rs-ok").disabled = true;
  sheetError("");
  const name = keyName(p.id);
  let kept = pendingKeys[p.id];
  if (!kept) {
    kept = { key: newKey(), at: new Date().toISOString() };
    pendingKeys[p.id] = kept;
    await kvPut(name, kept).catch(() => {});
  }
  try {
    const voucher = await api(`/api/v1/citizen/prizes/${encodeURIComponent(p.id)}/redeem`, {
      method: "POST",
      headers: { "Idempotency-Key": kept.key },
    });
    await forget(p.id, name);
    $("#redeem-sheet").close();
    toast(t("redeemed"));
    shownVoucher = voucher.id;
    go("vouchers");
  } catch (e) {
    const outcome = outcomeOf(e);
    if (outcome === "auth") {
      $("#redeem-sheet").close();
      signedOut();
    } else if (outcome === "retry") {
      // no answer: the same key goes with the next try
      sheetError(t("rs_lost"));
      $("#rs-ok").textContent = t("redeem_again");
    } else {
      await forget(p.id, name);
      sheetError(refusal(e));
      $("#rs-ok").textContent = t("rs_ok");
      loadPrizes();
    }
  } finally {
    sending = false;
    $("#rs-ok").disabled = false;
  }
}

async function forget(prizeId, name) {
  delete pendingKeys[prizeId];
  await kvDelete(name).catch(() => {});
}

$("#prize-list").addEventListener("click", (e) => {
  const b = e.target.closest("[data-redeem]");
  if (!b) return;
  const p = catalogue.prizes.find((x) => String(x.id) === b.dataset.redeem);
  if (p) openSheet(p);
});
$("#rs-ok").addEventListener("click", () => sheetPrize && redeem(sheetPrize));
$("#rs-close").addEventListener("click", () => {
  $("#redeem-sheet").close();
  if (Object.keys(pendingKeys).length) renderCatalogue(catalogue);
});

// ---- my redemptions -----------------------------------------------------------------------

function voucherItem(r) {
  const label = lang === "en" ? r.status_label_en : r.status_label;
  const open = r.status === "requested" || r.status === "issued";
  const qr = typeof r.qr_url === "string" && QR.test(r.qr_url) ? r.qr_url : null;
  const cash = r.kind === "cash_red_packet";
  const phone = r.kind === "phone_credit" || r.kind === "data";
  let where = "";
  if (open && cash) where = html`<p class="where">${t("v_cash")}</p>`;
  else if (open && phone) where = html`<p class="where">${t("v_phone")}</p>`;
  else if (open)
    where = html`<p class="where">
      ${t("v_where")}
      <button class="link inline" type="button" data-go="stations">${t("v_stations")}</button>
    </p>`;
  let end = "";
  if (r.status === "collected") end = t("v_collected", { t: fmt(r.collected_at) });
  if (r.status === "cancelled") end = t("v_cancelled", { t: fmt(r.cancelled_at), n: r.points });
  return html`<li
    class="voucher ${r.status} ${r.id === shownVoucher ? "new" : ""}"
    data-id="${r.id}"
  >
    <div class="vh"><b>${r.prize_name}</b><span class="status ${r.status}">${label}</span></div>
    <div class="vbody">
      ${qr ? html`<img class="qr" src="${qr}" alt="${t("v_qr", { c: r.voucher_code })}" />` : ""}
      <div class="vtext">
        ${cash ? "" : html`<small>${t("v_code")}</small><code class="vcode">${r.voucher_code}</code>`}
        <small>${t("v_spent", { n: r.points, t: fmt(r.created_at) })}</small>
        ${open && r.expires_at ? html`<small>${t("v_expires", { t: fmtDay(r.expires_at) })}</small>` : ""}
        ${end ? html`<small>${end}</small>` : ""}
      </div>
    </div>
    ${where}
    ${
      r.status === "requested" && !cash
        ? html`<button class="btn danger small" type="button" data-cancel="${r.id}">
            ${t("v_cancel")}
          </button>`
        : ""
    }
  </li>`;
}

function renderVouchers(list) {
  vouchers = list;
  $("#vouchers-empty").hidden = list.length > 0;
  $("#voucher-list").innerHTML = html`${list.map(voucherItem)}`;
  const fresh = shownVoucher && $(`#voucher-list li[data-id="${shownVoucher}"]`);
  if (fresh && fresh.scrollIntoView) fresh.scrollIntoView({ block: "center" });
  if (fresh) shownVoucher = null; // marked once, when it is new
}

export const loadVouchers = () =>
  read("vouchers", "/api/v1/citizen/redemptions", renderVouchers, loadVouchers);

$("#voucher-list").addEventListener("click", async (e) => {
  const b = e.target.closest("[data-cancel]");
  if (!b) return;
  const r = vouchers.find((x) => String(x.id) === b.dataset.cancel);
  if (!r || !window.confirm(t("v_cancel_q", { n: r.points }))) return;
  b.disabled = true;
  try {
    await api(`/api/v1/citizen/redemptions/${encodeURIComponent(r.id)}/cancel`, {
      method: "POST",
    });
    toast(t("v_cancelled_toast", { n: r.points }));
  } catch (err) {
    if (outcomeOf(err) === "auth") return signedOut();
    toast(isNetworkError(err) ? t("no_network") : err.message);
  }
  loadVouchers();
});
