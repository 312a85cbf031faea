/* IndexedDB in one call per transaction, for the pages that keep work on the phone (drafts and
   outboxes of the citizen app and of the field app). */

/** `idb(store, mode, fn)` over the database `name`: `fn(objectStore)` runs in a transaction and
    the promise gives the result of the request it returns, once the transaction completes.
    `upgrade(db)` creates the stores when the database is new (or older than `version`). */
export function openDb(name, version, upgrade) {
  let dbp = null;
  const open = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open(name, version);
      req.onupgradeneeded = () => upgrade(req.result);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  return async function idb(store, mode, fn) {
    dbp = dbp || open();
    const db = await dbp;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const r = fn(tx.objectStore(store));
      tx.oncomplete = () => resolve(r && r.result);
      tx.onerror = () => reject(tx.error);
    });
  };
}
