/* What the field app keeps on the phone for when it opens without network (IndexedDB, apart
   from the outbox): the signed-in account, the last list of each kind read from the server,
   and each case opened (its detail and reports), each with the time it was read. Entries are
   the account's (keyed by its id); signing out forgets them all. */
import { openDb } from "../shared/idb.js";

const idb = openDb("urbanops-field-kept", 1, (db) =>
  db.createObjectStore("kept", { keyPath: "key" }),
);

/** Keep `value` under `key`, read now. A phone that refuses storage keeps nothing. */
export async function keep(key, value) {
  try {
    await idb("kept", "readwrite", (s) => s.put({ key, value, at: new Date().toISOString() }));
  } catch {
    // nothing kept: the page works online as before
  }
}

/** {value, at} kept under `key`, or null. */
export async function kept(key) {
  try {
    return (await idb("kept", "readonly", (s) => s.get(key))) || null;
  } catch {
    return null;
  }
}

/** Forget everything kept (signing out). */
export async function forget() {
  try {
    await idb("kept", "readwrite", (s) => s.clear());
  } catch {
    // nothing to forget
  }
}
