/* Field errors: the server's problem+json, worded in the citizen's language and shown next to
   the field it concerns (or above the form's button when it concerns none). The words for a
   field come from the server (`label`, `label_en`, see urbanops.core.web.FIELD_LABELS). */
import { lang, t } from "./i18n.js";
import { isNetworkError } from "./net.js";
import { $ } from "./ui.js";

// a field the server did not name in words: "the request" as a whole, or "an input"
const fieldLabel = (field) => t(field ? "f_other" : "f_body");
// per form: where each field's message goes, and which error codes concern which field
const FORMS = {
  login: {
    general: "#login-error",
    slots: { phone: "#phone-error", code: "#code-error" },
    codes: { invalid_phone: "phone", otp_wrong: "code", otp_expired: "code", otp_locked: "code" },
  },
  report: {
    general: "#report-error",
    hint: true,
    slots: {
      photo: "#photo-error",
      photo_ids: "#photo-error",
      location: "#place-error",
      lat: "#place-error",
      lon: "#place-error",
      datum: "#place-error",
      address: "#place-error",
      description: "#desc-error",
      category_code: "#cat-error",
      matter_code: "#cat-error",
      what: "#cat-error",
    },
    codes: {
      outside_service_area: "location",
      invalid_datum: "location",
      invalid_coordinates: "location",
      unknown_photo: "photo_ids",
    },
  },
  rate: {
    general: "#rate-error",
    slots: { rating: "#stars-error", comment: "#comment-error" },
    codes: {},
  },
  dispute: {
    general: "#dispute-error",
    slots: {
      reason: "#reason-error",
      photo: "#dispute-photo-error",
      photo_ids: "#dispute-photo-error",
    },
    codes: { missing_field: "reason", unknown_photo: "photo_ids" },
  },
  me: {
    general: "#me-error",
    slots: { nickname: "#nickname-error", home_town_code: "#town-error" },
    codes: { invalid_nickname: "nickname", unknown_town: "home_town_code" },
  },
};
/* A failed request as {status, code, summary, fields: [{field, message}]}, in the user's language.
   A 422 lists `errors` [{field, label?, message, message_en}]; a domain error may name its `field`
   or be known by its `code`. No raw field name ever reaches the summary. */
export function problemOf(e, form) {
  if (isNetworkError(e))
    return { status: 0, code: "network", summary: t("no_network"), fields: [] };
  const b = e.body || {};
  const fields = [];
  const listed = Array.isArray(b.errors) ? b.errors.filter((x) => x && typeof x === "object") : [];
  listed.forEach((x) => {
    const field = String(x.field ?? "").split(".")[0];
    const message = String(
      (lang === "en" ? x.message_en || x.message : x.message || x.message_en) || t("invalid"),
    );
    const label = (lang === "en" ? x.label_en : x.label) || fieldLabel(field);
    fields.push({ field, label, message });
  });
  const codeField = form && FORMS[form].codes[b.code];
  if (!listed.length && (typeof b.field === "string" || codeField)) {
    const field = typeof b.field === "string" ? b.field : codeField;
    fields.push({
      field,
      label: fieldLabel(field),
      message: b.detail || b.title || t("invalid"),
    });
  }
  let summary;
  if (listed.length && !(listed.every((x) => x.label) && b.detail)) {
    const sep = lang === "en" ? "; " : "、";
    summary = t("check", {
      list: fields
        .map((f) => (lang === "en" ? `${f.label} (${f.message})` : `${f.label}（${f.message}）`))
        .join(sep),
    });
  } else summary = b.detail || b.title || t("rejected_status", { s: e.status });
  const p = { status: e.status, code: String(b.code || ""), summary, fields };
  if (typeof b.attempts_left === "number") p.attempts_left = b.attempts_left;
  return p;
}
const shown = {}; // form → {general, fields: Map(field → message), hint}
const state = (form) =>
  (shown[form] = shown[form] || { general: "", hint: false, fields: new Map() });
function renderForm(form) {
  const def = FORMS[form],
    st = state(form);
  const bySlot = new Map(Object.values(def.slots).map((sel) => [sel, []]));
  st.fields.forEach((msg, field) => {
    const list = bySlot.get(def.slots[field]);
    if (list && !list.includes(msg)) list.push(msg);
  });
  bySlot.forEach((msgs, sel) => {
    const el = $(sel);
    if (!el) return;
    el.textContent = msgs.join(lang === "en" ? " " : "；");
    el.hidden = !msgs.length;
    const control = el.dataset.for && document.getElementById(el.dataset.for);
    if (control) {
      if (msgs.length) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  });
  if (st.hint && !st.fields.size) {
    st.general = "";
    st.hint = false;
  }
  const g = $(def.general);
  g.textContent = st.general;
  g.hidden = !st.general;
}
export function showProblem(form, p) {
  const def = FORMS[form],
    st = state(form);
  st.fields = new Map();
  st.general = "";
  st.hint = false;
  const loose = [];
  p.fields.forEach((f) => {
    let msg = f.message;
    if (f.field === "code" && p.attempts_left != null)
      msg = `${msg}（${t("attempts_left", { n: p.attempts_left })}）`;
    if (def.slots[f.field]) st.fields.set(f.field, msg);
    else loose.push(f);
  });
  if (loose.length || !st.fields.size) st.general = p.summary;
  else if (def.hint) {
    st.general = t("fix_marked");
    st.hint = true;
  }
  renderForm(form);
  const first = Object.values(def.slots)
    .map((s) => $(s))
    .find((el) => el && !el.hidden);
  if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
}
export function fieldError(form, field, message) {
  state(form).fields.set(field, message);
  renderForm(form);
}
export function generalError(form, message) {
  const st = state(form);
  st.general = message || "";
  st.hint = false;
  renderForm(form);
}
export function clearFields(form, ...fields) {
  const st = state(form);
  let changed = false;
  fields.forEach((f) => {
    changed = st.fields.delete(f) || changed;
  });
  if (changed || st.hint) renderForm(form);
}
export function clearForm(form) {
  shown[form] = null;
  renderForm(form);
}
