/* The outbox: reports that could not be sent yet (no network, the server busy, signed out) are
   sent again with backoff — with the same idempotency key, so none is filed twice — and
   reports the server refused stay, with its reasons, until the citizen edits or deletes them. */
import { ApiError, api, isNetworkError, outcomeOf, uploadPhoto } from "./net.js";
import { fmt, t } from "./i18n.js";
import { refresh, session, signedOut } from "./nav.js";
import { problemOf } from "./problems.js";
import { outboxAll, outboxDelete, outboxPut, storedPhotos, thumbImg } from "./store.js";
import { $, toast } from "./ui.js";
import { categoryName } from "./what.js";

let editingKey = null; // the outbox item open in the report form (a report the server refused)

/** The key of the outbox item open in the form, or null. */
export const editing = () => editingKey;
export const setEditing = (key) => {
  editingKey = key;
};

/** Send a report (photos taken offline are uploaded first); the idempotency key makes retries
    safe. */
export async function sendReport(item) {
  for (const p of item.photos) {
    if (!p.id && p.blob) {
      const r = await uploadPhoto(p.blob);
      Object.assign(p, { id: r.id, url: r.url, thumb: r.thumb_url, blob: null });
    }
  }
  return api("/api/v1/citizen/reports", {
    method: "POST",
    body: {
      lat: item.lat,
      lon: item.lon,
      datum: "wgs84",
      description: item.description,
      category_code: item.category || null,
      matter_code: item.matter || null,
      photo_ids: item.photos.filter((p) => p.id).map((p) => p.id),
      idempotency_key: item.key,
    },
  });
}

let flushing = null,
  flushAgain = false,
  retryTimer = null,
  retryDelay = 0,
  waitingForSignIn = false;
export function scheduleRetry() {
  clearTimeout(retryTimer);
  retryDelay = retryDelay ? Math.min(retryDelay * 2, 300000) : 5000; // 5 s, 10 s, … 5 min
  retryTimer = setTimeout(() => flushOutbox(), retryDelay * (0.8 + Math.random() * 0.4));
}
// one flush at a time; a request for another while one runs makes it run once more at the end
export function flushOutbox() {
  if (flushing) {
    flushAgain = true;
    return flushing;
  }
  flushing = (async () => {
    do {
      flushAgain = false;
      await doFlush().catch(() => {});
    } while (flushAgain);
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}
async function doFlush() {
  if (!session.me || !navigator.onLine) return;
  clearTimeout(retryTimer);
  const items = (await outboxAll().catch(() => [])).filter(
    (i) => i.state !== "rejected" && i.key !== editingKey,
  );
  let retry = false,
    sent = 0,
    rejected = 0;
  waitingForSignIn = false;
  for (const item of items) {
    item.photos = storedPhotos(item.photos);
    item.state = "sending";
    renderOutboxItems(await outboxAll().catch(() => []), item.key);
    try {
      await sendReport(item);
      await outboxDelete(item.key);
      sent += 1;
    } catch (e) {
      const how = outcomeOf(e);
      if (how === "sent") {
        await outboxDelete(item.key);
        sent += 1;
        continue;
      }
      item.tries = (item.tries || 0) + 1;
      if (how === "rejected") {
        Object.assign(item, refusal(e));
        await outboxPut(item);
        rejected += 1;
        continue;
      }
      item.state = how === "auth" ? "signin" : isNetworkError(e) ? "pending" : "retry";
      await outboxPut(item); // keeps the ids of photos already uploaded
      if (how === "auth") {
        waitingForSignIn = true;
        break;
      }
      retry = true;
      if (isNetworkError(e)) break; // offline again: the rest would fail the same way
    }
  }
  if (retry) scheduleRetry();
  else retryDelay = 0;
  await renderOutbox();
  if (rejected) toast(t("ob_rejected_toast", { n: rejected }));
  else if (sent) toast(t("ob_sent_toast", { n: sent }));
  if (sent) refresh("mine");
  if (waitingForSignIn) signedOut();
}
// the server's answer is kept as it came, and worded when shown (field labels in the current
// language)
export const refusal = (e) => ({
  state: "rejected",
  failure: { status: e.status, body: e.body || {} },
  rejected_at: new Date().toISOString(),
});
export const storedProblem = (item) =>
  problemOf(
    new ApiError(
      (item.failure && item.failure.status) || 400,
      (item.failure && item.failure.body) || {},
    ),
    "report",
  );
function outboxTitle(item) {
  const what = (item.description || "").trim() || item.matterName || categoryName(item.category);
  return what || t("ob_untitled");
}
function outboxStatus(item) {
  if (item.state === "rejected") return t("ob_rejected", { r: storedProblem(item).summary });
  if (item.state === "sending") return t("ob_sending");
  if (item.state === "retry") return t("ob_retry");
  if (item.state === "signin") return t("ob_signin");
  return t("ob_pending");
}
function renderOutboxItems(items, sendingKey) {
  const box = $("#outbox"),
    ul = $("#outbox-list");
  box.hidden = !items.length;
  $("#outbox-title").textContent = t("outbox_title", { n: items.length });
  ul.replaceChildren(
    ...items.map((item) => {
      const state = item.key === sendingKey ? "sending" : item.state || "pending";
      const li = document.createElement("li");
      li.className = `ob ${state}`;
      li.dataset.key = item.key;
      const first = (item.photos || [])[0];
      if (first) li.append(thumbImg(first));
      const body = document.createElement("div");
      body.className = "t";
      const title = document.createElement("b");
      title.textContent = outboxTitle(item);
      const meta = document.createElement("small");
      meta.textContent = [
        item.lat != null ? `${Number(item.lat).toFixed(4)}, ${Number(item.lon).toFixed(4)}` : "",
        item.created_at ? t("ob_saved_at", { t: fmt(item.created_at) }) : "",
      ]
        .filter(Boolean)
        .join(" · ");
      const status = document.createElement("p");
      status.className = "ob-status";
      status.textContent = outboxStatus(Object.assign({}, item, { state }));
      body.append(title, meta, status);
      const acts = document.createElement("div");
      acts.className = "ob-actions";
      const button = (act, label, cls) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = `btn ${cls}`;
        b.dataset.act = act;
        b.textContent = label;
        return b;
      };
      if (state === "rejected")
        acts.append(
          button("edit", t("ob_edit"), "primary"),
          button("resend", t("ob_resend"), "secondary"),
        );
      if (state !== "sending") acts.append(button("delete", t("ob_delete"), "plain"));
      body.append(acts);
      li.append(body);
      return li;
    }),
  );
  const anyRejected = items.some((i) => i.state === "rejected");
  $("#mine-dot").hidden = !anyRejected;
  if (items.length) $("#mine-empty").hidden = true;
}
export async function renderOutbox() {
  renderOutboxItems(await outboxAll().catch(() => []));
}

/** The next retry comes at once (the network is back, or the citizen asked). */
export const retryNow = () => {
  retryDelay = 0;
  return flushOutbox();
};

function online() {
  $("#net").hidden = navigator.onLine;
  if (navigator.onLine && session.me) retryNow();
}
window.addEventListener("online", online);
window.addEventListener("offline", online);
export { online };
