/* The field app's outbox: every action taken on the phone is kept in IndexedDB (with the photos
   taken for it, as Blobs) until the server has taken it, and sent in the order taken — at once
   when there is network, else when the phone is online again. Each action carries its own
   `Idempotency-Key` (the item's key): an action whose answer was lost is sent again with the
   same key and the server answers as the first time, without taking it twice. Photos are
   uploaded first and their ids kept on the item, so a retry does not upload them again. */
import { openDb } from "../shared/idb.js";
import { failureKind } from "../shared/net.js";
import { api } from "../shared/staff_auth.js";

/** A photo uploaded for a case action (POST /api/v1/photos): {id, url, thumb_url, …}. */
function uploadPhoto(blob, name) {
  const fd = new FormData();
  fd.append("photo", blob, name || "photo.jpg");
  return api("/api/v1/photos", { method: "POST", body: fd });
}

const idb = openDb("urbanops-field", 1, (db) => db.createObjectStore("outbox", { keyPath: "key" }));
const put = (item) => idb("outbox", "readwrite", (s) => s.put(item));

/** Every unsent item, oldest first. */
export const pendingAll = () =>
  idb("outbox", "readonly", (s) => s.getAll()).then((items) =>
    (items || []).sort((a, b) => a.created_at.localeCompare(b.created_at)),
  );

const listeners = [];
/** Run `fn(items)` whenever the outbox changes (an item added, sending, sent or refused). */
export const onOutboxChange = (fn) => listeners.push(fn);
async function changed() {
  const items = await pendingAll().catch(() => []);
  listeners.forEach((fn) => fn(items));
}

/** Take an item out of the outbox (a refused action the user gives up). */
export async function removeItem(key) {
  await idb("outbox", "readwrite", (s) => s.delete(key));
  await changed();
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/** Keep an action and send it now if possible. Resolves to {state: "sent", detail} (the case
    after it), {state: "rejected", error} (the server refused it) or {state} ("pending",
    "retry", "signin": it waits in the outbox). `files`: [{field, blob, name}]. */
export async function queueAction({ caseId, number, action, label, body, files }) {
  const item = {
    key: newKey(),
    case_id: caseId,
    number,
    action,
    label,
    body,
    files: files.map((f) => ({ field: f.field, blob: f.blob, name: f.name, id: null })),
    created_at: new Date().toISOString(),
    state: "pending",
  };
  await put(item);
  await changed();
  const results = await flush();
  return results.get(item.key) || { state: "pending" };
}

async function send(item) {
  for (const p of item.files) {
    if (p.id) continue;
    p.id = (await uploadPhoto(p.blob, p.name)).id;
    await put(item); // uploaded once: a retry sends the id
  }
  const body = Object.assign({}, item.body);
  for (const p of item.files) body[p.field] = (body[p.field] || []).concat(p.id);
  return api(`/api/v1/cases/${item.case_id}/actions/${item.action}`, {
    method: "POST",
    body,
    headers: { "Idempotency-Key": item.key },
  });
}

let flushing = null,
  again = false,
  retryTimer = null,
  retryDelay = 0;

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryDelay = retryDelay ? Math.min(retryDelay * 2, 300000) : 5000; // 5 s, 10 s, … 5 min
  retryTimer = setTimeout(() => flush(), retryDelay);
}

/** Send what waits, one flush at a time (a call during one makes it run once more). Resolves to
    the outcome of each item tried, by key. */
export function flush() {
  if (flushing) {
    again = true;
    return flushing;
  }
  const results = new Map();
  flushing = (async () => {
    do {
      again = false;
      await sendAll(results).catch(() => {});
    } while (again);
    return results;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function sendAll(results) {
  if (!navigator.onLine) return;
  clearTimeout(retryTimer);
  const items = (await pendingAll()).filter((i) => i.state !== "rejected");
  for (const item of items) {
    item.state = "sending";
    await put(item);
    await changed();
    try {
      const detail = await send(item);
      await idb("outbox", "readwrite", (s) => s.delete(item.key));
      results.set(item.key, { state: "sent", detail });
      retryDelay = 0;
    } catch (error) {
      const kind = failureKind(error);
      if (kind === "rejected" || kind === "conflict") {
        item.state = "rejected";
        item.failure = { status: error.status, detail: error.message, field: error.body.field };
        await put(item);
        results.set(item.key, { state: "rejected", error });
        continue;
      }
      item.state = { auth: "signin", network: "pending" }[kind] || "retry";
      await put(item);
      results.set(item.key, { state: item.state });
      // the server busy, or the answer lost while the phone says it is online: try again
      if (kind === "retry" || (kind === "network" && navigator.onLine)) scheduleRetry();
      break; // later actions wait for this one (a result after its start)
    }
  }
  await changed();
}

window.addEventListener("online", () => {
  retryDelay = 0;
  flush();
});
