/* The form of an action on the phone, built from the action registry (GET /api/v1/workflow):
   one input per field the action asks for, by the field's kind; a photo field opens the
   camera (`capture=environment`) and keeps what it takes as files, so that an action taken
   without network can wait in the outbox with its photos. */
import { html } from "../shared/html.js";
import { thumbImg } from "../shared/thumbs.js";
import { fieldLabel } from "../shared/workflow.js";
import { lang, t } from "./i18n.js";

function input(f) {
  const required = f.required ? html`required` : "";
  switch (f.kind) {
    case "textarea":
      return html`<textarea name="${f.name}" rows="3" maxlength="2000" ${required}></textarea>`;
    case "number":
      return html`<input
        name="${f.name}"
        type="number"
        inputmode="decimal"
        min="0"
        step="any"
        ${required}
      />`;
    case "time_unit":
      return html`<select name="${f.name}">
        ${(f.options || []).map((o) => html`<option value="${o.value}">${fieldLabel(o, lang())}</option>`)}
      </select>`;
    case "photos":
      return html`<div class="photos" data-photos="${f.name}"></div>
        <label class="add-photo"
          ><span>📷</span><small>${t("take_photo")}</small
          ><input
            name="${f.name}"
            type="file"
            accept="image/*"
            capture="environment"
            multiple
            hidden
        /></label>`;
    default:
      return html`<input name="${f.name}" maxlength="2000" ${required} />`;
  }
}

/** The markup of the form of `spec` (a registry action). */
export function actionForm(spec) {
  const title = fieldLabel(spec, lang());
  return html`<form class="form" data-form="${spec.code}" novalidate>
    <h3>${title}</h3>
    ${spec.fields.map(
      (f) =>
        html`<div class="field" data-field="${f.name}">
          <span class="label"
            >${fieldLabel(f, lang())}${f.required ? html`<i class="req">*</i>` : ""}</span
          >
          ${input(f)}
          <p class="error" hidden></p>
        </div>`,
    )}
    <p class="error" data-general hidden></p>
    <div class="row">
      <button type="button" class="btn plain" data-cancel>${t("cancel")}</button>
      <button class="btn primary grow">${t("confirm", { a: title })}</button>
    </div>
  </form>`;
}

/** Wire the photo fields of a rendered form: what the camera gives is kept (and shown) until
    the form is sent. Returns `files()`: [{field, blob, name}] in the order taken. */
export function wirePhotos(form) {
  const taken = [];
  form.querySelectorAll("input[type=file]").forEach((el) => {
    el.addEventListener("change", () => {
      for (const file of el.files) {
        taken.push({ field: el.name, blob: file, name: file.name || "photo.jpg" });
        form.querySelector(`[data-photos="${el.name}"]`).append(thumbImg({ blob: file }));
      }
      el.value = "";
    });
  });
  return () => taken.slice();
}

/** The body of the filled form (photos apart), or the first required field left empty. */
export function formBody(spec, form, files) {
  const body = {};
  for (const f of spec.fields) {
    if (f.kind === "photos") {
      if (f.required && !files.some((p) => p.field === f.name)) return { missing: f };
      continue;
    }
    const el = form.elements.namedItem(f.name);
    const value = el ? el.value.trim() : "";
    if (value === "") {
      if (f.required) return { missing: f };
      continue;
    }
    body[f.name] = f.kind === "number" ? parseFloat(value) : value;
  }
  return { body };
}

/** Show the server's refusal on the form: under the field it names, or at the bottom. */
export function showRefusal(form, message, field) {
  form.querySelectorAll(".error").forEach((p) => {
    p.hidden = true;
  });
  const box = field && form.querySelector(`[data-field="${field}"] .error`);
  const target = box || form.querySelector("[data-general]");
  target.textContent = message;
  target.hidden = false;
}
