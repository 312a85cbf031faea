/* The report form (随手拍): photos, place and problem, saved as the citizen goes — into the
   draft, or into the outbox item being edited — and sent; what cannot be sent now goes into
   the outbox (outbox.js). */
import { fmt, lang, t } from "./i18n.js";
import { go, signedOut, whenSignedOut } from "./nav.js";
import { errorText, isNetworkError, outcomeOf, uploadPhoto } from "./net.js";
import {
  editing,
  refusal,
  renderOutbox,
  retryNow,
  scheduleRetry,
  sendReport,
  setEditing,
  storedProblem,
} from "./outbox.js";
import { clearPin, onPlaceChange, pinPosition, placedByUser, setPin } from "./place.js";
import { clearFields, clearForm, fieldError, problemOf, showProblem } from "./problems.js";
import {
  clearDraft,
  loadDraft,
  outboxDelete,
  outboxGet,
  outboxPut,
  saveDraftData,
  storedPhotos,
  thumbImg,
} from "./store.js";
import { $, $$, toast } from "./ui.js";
import { onWhatChange, setWhat, stopSuggesting, whatData } from "./what.js";

const MAX_PHOTOS = 9;
let photos = []; // {id?, url?, thumb?, blob?}
let currentKey = null; // the idempotency key of the report in the form, once it has been sent

// ---- photos -------------------------------------------------------------------------------
function renderPhotos() {
  $$("#photos .photo").forEach((el) => el.remove());
  photos.forEach((p, i) => {
    const div = document.createElement("div");
    div.className = "photo";
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "×";
    del.setAttribute("aria-label", lang === "en" ? "remove photo" : "删除照片");
    del.addEventListener("click", () => {
      photos.splice(i, 1);
      renderPhotos();
      clearFields("report", "photo", "photo_ids");
      saveDraft();
    });
    div.append(thumbImg(p), del);
    $("#photos").insertBefore(div, $("#add-photo"));
  });
  $("#add-photo").hidden = photos.length >= MAX_PHOTOS;
}

$("#photo-input").addEventListener("change", async (e) => {
  clearFields("report", "photo", "photo_ids");
  for (const file of Array.from(e.target.files || [])) {
    if (photos.length >= MAX_PHOTOS) break;
    try {
      const r = await uploadPhoto(file);
      photos.push({ id: r.id, url: r.url, thumb: r.thumb_url, blob: null });
      if (r.gps && !placedByUser()) {
        setPin(r.gps.lat, r.gps.lon);
        toast(t("photo_place"));
      }
    } catch (err) {
      const how = outcomeOf(err);
      if (how === "retry")
        photos.push({ id: null, url: null, thumb: null, blob: file }); // uploaded on submit
      else if (how === "auth") return signedOut();
      else fieldError("report", "photo", errorText(err));
    }
  }
  e.target.value = "";
  renderPhotos();
  saveDraft();
});

// ---- the form, its draft, and the outbox item it may be editing ---------------------------
const newKey = () => {
  if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
};

function draftData() {
  const p = pinPosition();
  return {
    description: $("#desc").value,
    ...whatData(),
    lat: p && p.lat,
    lon: p && p.lng,
    photos: storedPhotos(photos),
    key: currentKey,
  };
}

// the form saves itself: into the outbox item while editing one, else into the draft
let saveChain = Promise.resolve();
export function saveDraft() {
  const d = draftData(),
    key = editing();
  saveChain = saveChain
    .then(async () => {
      if (key) {
        const item = await outboxGet(key);
        if (item) await outboxPut(Object.assign(item, d, { key }));
      } else await saveDraftData(d);
      $("#draft-note").hidden = false;
    })
    .catch(() => {});
  return saveChain;
}
onPlaceChange(saveDraft);
onWhatChange(saveDraft);

function resetReport() {
  stopSuggesting();
  photos = [];
  currentKey = null;
  $("#desc").value = "";
  clearPin();
  $("#draft-note").hidden = true;
  clearForm("report");
  renderPhotos();
  setWhat();
}

function fillForm(d) {
  resetReport();
  $("#desc").value = d.description || "";
  setWhat(d);
  currentKey = d.key || null;
  photos = storedPhotos(d.photos);
  renderPhotos();
  if (d.lat != null && d.lon != null) setPin(d.lat, d.lon, { restore: true });
}

/** The form as the citizen left it: the saved draft, or empty; not editing an outbox item. */
export async function restoreDraft() {
  setEditing(null);
  $("#editing").hidden = true;
  const draft = await loadDraft().catch(() => null);
  if (draft) fillForm(draft);
  else resetReport();
}

// back from an outbox item to the draft; nothing may save the item's fields into the draft
// meanwhile
async function stopEditing() {
  stopSuggesting();
  await saveChain;
  const draft = await loadDraft().catch(() => null);
  setEditing(null);
  $("#editing").hidden = true;
  if (draft) fillForm(draft);
  else resetReport();
}
$("#edit-later").addEventListener("click", async () => {
  await saveDraft();
  await stopEditing();
  renderOutbox();
});
whenSignedOut(() => {
  setEditing(null);
  $("#editing").hidden = true;
});

// open a refused report in the form: its photos, pin, category and text, with the server's
// reasons
async function editOutboxItem(item) {
  await saveDraft(); // what the form holds stays where it belongs (the draft, or the item open before)
  setEditing(item.key);
  go("report");
  fillForm(item);
  $("#editing").hidden = false;
  if (item.state === "rejected") showProblem("report", storedProblem(item));
}

$("#outbox-list").addEventListener("click", async (e) => {
  const b = e.target.closest("[data-act]");
  if (!b) return;
  const key = b.closest("li[data-key]").dataset.key;
  const item = await outboxGet(key);
  if (!item) return renderOutbox();
  if (b.dataset.act === "edit") await editOutboxItem(item);
  else if (b.dataset.act === "resend") {
    await outboxPut(Object.assign(item, { state: "pending", failure: null }));
    await retryNow();
  } else if (b.dataset.act === "delete" && window.confirm(t("ob_confirm_delete"))) {
    if (editing() === key) await stopEditing();
    await outboxDelete(key);
    renderOutbox();
  }
});

// ---- sending ------------------------------------------------------------------------------
$("#submit-btn").addEventListener("click", async () => {
  clearForm("report");
  const d = draftData();
  let missing = false;
  if (!photos.length) {
    fieldError("report", "photo", t("need_photo"));
    missing = true;
  }
  if (d.lat == null) {
    fieldError("report", "location", t("need_place"));
    missing = true;
  }
  if (!d.category && !d.matter && d.description.trim().length < 2) {
    fieldError("report", "what", t("need_what"));
    missing = true;
  }
  if (missing) {
    const first = $$("#view-report .field-error").find((el) => !el.hidden);
    if (first) first.scrollIntoView({ block: "center" });
    return;
  }
  currentKey = currentKey || newKey();
  d.key = currentKey;
  const editingKey = editing();
  const btn = $("#submit-btn");
  btn.disabled = true;
  btn.textContent = t("sending");
  try {
    const r = await sendReport(d);
    photos = d.photos; // now with their server ids
    await finishReport(editingKey);
    showResult(r);
  } catch (e) {
    photos = d.photos;
    const how = outcomeOf(e);
    if (how === "sent") {
      await finishReport(editingKey);
      toast(t("already_sent"));
      go("mine");
    } else if (how === "retry") {
      const prev = editingKey ? await outboxGet(editingKey) : null;
      await outboxPut(
        Object.assign({ created_at: new Date().toISOString() }, prev || {}, d, {
          key: d.key,
          state: isNetworkError(e) ? "pending" : "retry",
          failure: null,
          photos: storedPhotos(d.photos),
        }),
      );
      await finishReport(editingKey);
      toast(t(isNetworkError(e) ? "queued" : "queued_busy"));
      go("mine");
      scheduleRetry();
    } else if (how === "auth") {
      await saveDraft();
      signedOut();
    } else {
      const p = problemOf(e, "report");
      if (editingKey) {
        const item = await outboxGet(editingKey);
        if (item) await outboxPut(Object.assign(item, d, refusal(e)));
      } else saveDraft();
      showProblem("report", p);
    }
  } finally {
    btn.disabled = false;
    btn.textContent = t("submit");
  }
});

// the form's report has gone (sent, or into the outbox): empty the form and what it saved into
async function finishReport(editingKey) {
  if (editingKey) {
    await outboxDelete(editingKey);
    await stopEditing();
  } else {
    await saveChain;
    await clearDraft();
    resetReport();
  }
}

function showResult(r) {
  $("#result-title").textContent =
    r.outcome === "joined" ? t("joined") : r.outcome === "triage" ? t("waiting") : t("sent");
  $("#result-number").textContent = r.case_number;
  $("#result-unit").textContent = r.unit_name || t("not_set");
  $("#result-due").textContent = fmt(r.due_at);
  $("#result-msg").textContent = r.message;
  go("result");
}
