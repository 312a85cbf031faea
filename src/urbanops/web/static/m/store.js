/* What the citizen app keeps on the phone, in IndexedDB: the draft of the report form ("kv",
   key "draft") and the outbox of reports not yet accepted ("outbox", by idempotency key), with
   the photos still to be uploaded as Blobs. */
import { safeUrl } from "../shared/html.js";

const dbp = new Promise((resolve, reject) => {
  const req = indexedDB.open("urbanops-m", 1);
  req.onupgradeneeded = () => {
    req.result.createObjectStore("kv");
    req.result.createObjectStore("outbox", { keyPath: "key" });
  };
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
export async function idb(store, mode, fn) {
  const db = await dbp;
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const r = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(r && r.result);
    tx.onerror = () => reject(tx.error);
  });
}
export const loadDraft = () => idb("kv", "readonly", (s) => s.get("draft"));
export const saveDraftData = (data) => idb("kv", "readwrite", (s) => s.put(data, "draft"));
export const clearDraft = () => idb("kv", "readwrite", (s) => s.delete("draft"));
export const outboxAll = () =>
  idb("outbox", "readonly", (s) => s.getAll()).then((items) =>
    (items || []).sort((a, b) =>
      String(a.created_at || "").localeCompare(String(b.created_at || "")),
    ),
  );
export const outboxGet = (key) => idb("outbox", "readonly", (s) => s.get(key));
export const outboxPut = (item) => idb("outbox", "readwrite", (s) => s.put(item));
export const outboxDelete = (key) => idb("outbox", "readwrite", (s) => s.delete(key));
// photos keep their File/Blob while unsent; what is shown is an object URL made here, never a
// stored string
const blobUrls = new WeakMap();
function photoSrc(p) {
  if (p.blob instanceof Blob) {
    if (!blobUrls.has(p.blob)) blobUrls.set(p.blob, URL.createObjectURL(p.blob));
    return blobUrls.get(p.blob);
  }
  return safeUrl(p.thumb) || safeUrl(p.url);
}
export function thumbImg(p) {
  const img = document.createElement("img");
  img.alt = "";
  const src = photoSrc(p);
  if (src) img.src = src;
  return img;
}
export const storedPhotos = (list) =>
  (list || []).map((p) => ({
    id: p.id || null,
    url: p.url || null,
    thumb: p.thumb || null,
    blob: p.blob || null,
  }));
