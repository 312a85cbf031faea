/* The action form of the console, built from the action registry: one input per field the
   action asks for (GET /api/v1/workflow), by the field's kind; its values in the request body
   the action's route reads (POST /api/v1/cases/{id}/actions/{code}). A "channel" field offers
   the active channels (GET /api/v1/channels), and fills the form's text fields the channel
   has a text for (a field `reply` from the channel's `reply_zh`). A "matter" field is the
   matter picker (matters.js); a "case_number" field offers the cases nearby to merge into;
   a note or reason offers the reply templates of the case's matter and status. */
import { html } from "../shared/html.js";
import { fieldLabel } from "../shared/workflow.js";
import { matterPicker, wireMatterPicker } from "./matters.js";
import { currentLang, t } from "./words.js";

const INTEGER_KINDS = new Set(["unit", "rating"]);
const TEXT_FIELDS = new Set(["note", "reason"]); // where reply templates may be inserted

/** The whole numbers from the field's `minimum` to its `maximum` (a rating's stars). */
function scale(f) {
  const out = [];
  for (let n = f.minimum; n <= f.maximum; n += 1) out.push(n);
  return out;
}

function choices(f, options, chosen) {
  const blank = f.required ? t("required") : "—";
  const on = (value) => (chosen != null && String(value) === String(chosen) ? html`selected` : "");
  return html`<select name="${f.name}" ${f.required ? html`required` : ""}>
    <option value="">${blank}</option>
    ${options.map(([value, text]) => html`<option value="${value}" ${on(value)}>${text}</option>`)}
  </select>`;
}

/** The channels a case may be referred to, in the order clerks are offered them. */
export const activeChannels = (channels) =>
  (channels || []).filter((c) => c.is_active).sort((a, b) => a.position - b.position);

/** The input of one field. `ctx`: {units: [{id, name}], matters: [{code, name}],
    channels: [{code, name_zh, reply_zh, …}], values: {field name: initial value}}. */
function input(f, ctx) {
  const required = f.required ? html`required` : "";
  switch (f.kind) {
    case "textarea":
      return html`<textarea name="${f.name}" rows="2" maxlength="2000" ${required}></textarea>
        ${TEXT_FIELDS.has(f.name) ? templateChips(f, ctx.templates) : ""}`;
    case "number":
      return html`<input name="${f.name}" type="number" min="0" step="any" ${required} />`;
    case "case_number":
      return html`<input
          name="${f.name}"
          inputmode="numeric"
          pattern="[0-9]{6,20}"
          maxlength="20"
          autocomplete="off"
          ${required}
        />
        ${candidateList(f, ctx.candidates)}`;
    case "unit":
      return choices(
        f,
        ctx.units.map((u) => [u.id, u.name]),
      );
    case "rating":
      return choices(
        f,
        scale(f).map((n) => [n, "★".repeat(n)]),
      );
    case "channel":
      return choices(
        f,
        activeChannels(ctx.channels).map((c) => [c.code, c.name_zh]),
        (ctx.values || {})[f.name],
      );
    case "time_unit":
      return choices(
        f,
        (f.options || []).map((o) => [o.value, fieldLabel(o, currentLang())]),
      );
    case "matter":
      return matterPicker(f);
    case "photos":
      return html`<input name="${f.name}" type="file" accept="image/*" multiple ${required} />`;
    default:
      return html`<input name="${f.name}" maxlength="2000" ${required} />`;
  }
}

/** The reply templates that may go into text field `f`, as buttons (none: nothing). */
function templateChips(f, templates) {
  if (!templates || !templates.length) return "";
  return html`<div class="chips templates" data-templates="${f.name}">
    <span class="muted">${t("templates")}</span>
    ${templates.map(
      (tpl) =>
        html`<button type="button" class="chip" data-template="${tpl.id}" title="${tpl.body}">
          ${tpl.title}
        </button>`,
    )}
  </div>`;
}

/** The cases nearby that a case may be merged into, as buttons filling field `f`. */
function candidateList(f, candidates) {
  if (!candidates) return "";
  if (!candidates.length) return html`<small class="muted">${t("no_candidates")}</small>`;
  return html`<div class="candidates" data-candidates="${f.name}">
    <small class="muted">${t("candidates")}</small>
    ${candidates.map(
      (c) =>
        html`<button type="button" class="cand" data-number="${c.number}">
          <b>${c.number}</b> ${c.matter_name || t("unclassified")} · ${c.status_label} ·
          ${t("metres", { m: Math.round(c.distance_m) })}
        </button>`,
    )}
  </div>`;
}

/** The form of `spec` (a registry action): a title, its fields, and the button that takes it. */
export function actionForm(spec, ctx) {
  const lang = currentLang();
  const title = fieldLabel(spec, lang);
  return html`<form class="form" data-form="${spec.code}" novalidate>
    <b>${title}</b>
    ${spec.fields.map(
      (f) =>
        html`<div class="field" data-field="${f.name}">
          <span>${fieldLabel(f, lang)}${f.required ? html`<i class="req">*</i>` : ""}</span>
          ${input(f, ctx)}
        </div>`,
    )}
    <button class="primary">${lang === "en" ? title : `确认${title}`}</button>
  </form>`;
}

/** Wire the rendered form: channels fill their replies, the matter picker searches, a nearby
    case fills the number to merge into, a template is inserted into its text field. */
export function wireForm(spec, form, ctx) {
  followChannels(spec, form, ctx);
  wireMatterPicker(form, ctx);
  form.addEventListener("click", (e) => {
    const cand = e.target.closest("button[data-number]");
    if (cand) {
      const name = cand.closest("[data-candidates]").dataset.candidates;
      form.elements.namedItem(name).value = cand.dataset.number;
      return;
    }
    const chip = e.target.closest("button[data-template]");
    if (chip) {
      const tpl = (ctx.templates || []).find((x) => String(x.id) === chip.dataset.template);
      const area = form.elements.namedItem(chip.closest("[data-templates]").dataset.templates);
      if (tpl && area) area.value = area.value ? `${area.value}\n${tpl.body}` : tpl.body;
    }
  });
}

/** Wire the rendered form of `spec`: a channel field fills each text field the chosen channel
    has a text for (`reply` ← `reply_zh`), now and whenever the channel changes, unless the
    clerk has written something else there. */
function followChannels(spec, form, ctx) {
  const byCode = new Map((ctx.channels || []).map((c) => [c.code, c]));
  for (const f of spec.fields.filter((field) => field.kind === "channel")) {
    const select = form.elements.namedItem(f.name);
    if (!select) continue;
    const texts = spec.fields
      .map((t) => [t.name, form.elements.namedItem(t.name)])
      .filter(([name, el]) => el && el.tagName === "TEXTAREA" && name !== f.name);
    const filled = new Map(texts.map(([name]) => [name, ""]));
    const fill = () => {
      const channel = byCode.get(select.value);
      for (const [name, el] of texts) {
        const text = channel ? channel[`${name}_zh`] : "";
        if (typeof text !== "string" && channel) continue;
        if (el.value !== filled.get(name)) continue; // the clerk's own words stay
        el.value = text || "";
        filled.set(name, el.value);
      }
    };
    select.addEventListener("change", fill);
    fill();
  }
}

/** The fields of `spec` that the form leaves empty although they are required. */
export function missingFields(spec, form) {
  return spec.fields.filter((f) => {
    const el = form.elements.namedItem(f.name);
    if (!f.required || !el) return false;
    return f.kind === "photos" ? el.files.length === 0 : el.value.trim() === "";
  });
}

/** The request body of the filled form; photos are uploaded first with `upload(file) → id`. */
export async function actionBody(spec, form, upload) {
  const body = {};
  for (const f of spec.fields) {
    const el = form.elements.namedItem(f.name);
    if (!el) continue;
    if (f.kind === "photos") {
      const ids = [];
      for (const file of el.files) ids.push(await upload(file));
      if (ids.length) body[f.name] = ids;
      continue;
    }
    const value = el.value.trim();
    if (value === "") continue;
    if (INTEGER_KINDS.has(f.kind)) body[f.name] = parseInt(value, 10);
    else if (f.kind === "number") body[f.name] = parseFloat(value);
    else body[f.name] = value;
  }
  return body;
}
