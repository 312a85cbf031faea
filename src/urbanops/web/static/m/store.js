/* What the citizen app keeps on the phone, in IndexedDB: the draft of the report form ("kv",
   key "draft"), the outbox of reports not yet accepted ("outbox", by idempotency key), with
   the photos still to be uploaded as Blobs, the last good answer of the rewards reads ("kv",
   "read:<path>", shown offline, dropped at sign-out) and the idempotency key of a redemption
   whose answer never came ("kv", "redeem:<citizen>:<prize>"). */
import { openDb } from "../shared/idb.js";
import { thumbImg } from "../shared/thumbs.js";

export const idb = openDb("urbanops-m", 1, (db) => {
  db.createObjectStore("kv");
  db.createObjectStore("outbox", { keyPath: "key" });
});
export const loadDraft = () => idb("kv", "readonly", (s) => s.get("draft"));
export const saveDraftData = (data) => idb("kv", "readwrite", (s) => s.put(data, "draft"));
export const clearDraft = () => idb("kv", "readwrite", (s) => s.delete("draft"));
export const kvGet = (key) => idb("kv", "readonly", (s) => s.get(key));
export const kvPut = (key, value) => idb("kv", "readwrite", (s) => s.put(value, key));
export const kvDelete = (key) => idb("kv", "readwrite", (s) => s.delete(key));
/** Drop every kv entry whose key starts with `prefix`. */
export const kvDeletePrefix = (prefix) =>
  idb("kv", "readwrite", (s) => s.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
export const outboxAll = () =>
  idb("outbox", "readonly", (s) => s.getAll()).then((items) =>
    (items || []).sort((a, b) =>
      String(a.created_at || "").localeCompare(String(b.created_at || "")),
    ),
  );
export const outboxGet = (key) => idb("outbox", "readonly", (s) => s.get(key));
export const outboxPut = (item) => idb("outbox", "readwrite", (s) => s.put(item));
export const outboxDelete = (key) => idb("outbox", "readwrite", (s) => s.delete(key));
// photos keep their File/Blob while unsent (shown through shared/thumbs.js)
export { thumbImg };
export const storedPhotos = (list) =>
  (list || []).map((p) => ({
    id: p.id || null,
    url: p.url || null,
    thumb: p.thumb || null,
    blob: p.blob || null,
  }));
