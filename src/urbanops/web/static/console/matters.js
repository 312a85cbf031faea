/* The matter picker (管理事项): search by name, code, major class or the citizen categories a
   matter belongs to, plus what the classifier reads in the words typed, with the classifier's
   top suggestions for the report's own text offered first (GET /api/v1/suggestions). The
   chosen code goes into the form's hidden field. */
import { html } from "../shared/html.js";
import { percent } from "./remit.js";
import { t } from "./words.js";

const MAX_RESULTS = 12;

/** The picker's markup for field `f` (a hidden input carries the code). */
export function matterPicker(f) {
  return html`<div class="matter-pick" data-matter-pick="${f.name}">
    <input type="hidden" name="${f.name}" />
    <input class="matter-q" type="search" autocomplete="off" placeholder="${t("search_matter")}" />
    <div class="chips suggestions"></div>
    <ol class="matter-results"></ol>
  </div>`;
}

/** Words a matter may be found by: code, name, class, and its citizen categories' names. */
function searchable(matters, categories) {
  const cats = new Map();
  for (const c of categories || [])
    for (const code of c.matters)
      cats.set(code, `${cats.get(code) || ""} ${c.name_zh} ${c.name_en}`);
  return matters.map((m) => ({
    ...m,
    text: `${m.code} ${m.name} ${m.class_name} ${cats.get(m.code) || ""}`.toLowerCase(),
  }));
}

/** Wire the picker inside `form`. `ctx`: {matters, categories, description, api}. */
export function wireMatterPicker(form, ctx) {
  const box = form.querySelector("[data-matter-pick]");
  if (!box) return;
  const hidden = box.querySelector("input[type=hidden]");
  const q = box.querySelector(".matter-q");
  const results = box.querySelector(".matter-results");
  const chips = box.querySelector(".suggestions");
  const index = searchable(ctx.matters, ctx.categories);
  const byCode = new Map(ctx.matters.map((m) => [m.code, m]));
  let timer = null;

  const choose = (code) => {
    const m = byCode.get(code);
    if (!m) return;
    hidden.value = code;
    q.value = `${m.code} ${m.name}`;
    results.innerHTML = html``;
    box.classList.add("chosen");
    box.dataset.chosen = code;
  };
  const show = (list, extra) => {
    const seen = new Set();
    const rows = [...(extra || []), ...list].filter((m) => !seen.has(m.code) && seen.add(m.code));
    results.innerHTML = html`${rows.slice(0, MAX_RESULTS).map(
      (m) =>
        html`<li data-code="${m.code}">
          <b>${m.name}</b> <small>${m.code} · ${m.class_name}</small>
          ${m.confidence != null ? html`<i>${percent(m.confidence)}</i>` : ""}
        </li>`,
    )}`;
  };
  results.onclick = (e) => {
    const li = e.target.closest("li[data-code]");
    if (li) choose(li.dataset.code);
  };
  chips.onclick = (e) => {
    const b = e.target.closest("button[data-code]");
    if (b) choose(b.dataset.code);
  };
  q.oninput = () => {
    hidden.value = "";
    box.classList.remove("chosen");
    const words = q.value.trim().toLowerCase();
    if (!words) return show([]);
    const local = index.filter((m) => words.split(/\s+/).every((w) => m.text.includes(w)));
    show(local);
    clearTimeout(timer);
    // what the classifier makes of the words: finds matters by what people call them
    timer = setTimeout(async () => {
      const read = await readText(ctx, q.value.trim(), 5);
      if (q.value.trim().toLowerCase() === words) show(local, read);
    }, 250);
  };
  if (ctx.description) {
    readText(ctx, ctx.description, 3).then((top) => {
      chips.innerHTML = html`${top.length ? html`<span class="muted">${t("suggestions")}</span>` : ""}
      ${top.map(
        (m) =>
          html`<button type="button" class="chip" data-code="${m.code}">
            ${m.name} ${percent(m.confidence)}
          </button>`,
      )}`;
    });
  }
}

async function readText(ctx, text, k) {
  try {
    const q = new URLSearchParams({ text, k: String(k) });
    const found = await ctx.api(`/api/v1/suggestions?${q}`);
    const byCode = new Map(ctx.matters.map((m) => [m.code, m]));
    return found
      .filter((s) => byCode.has(s.matter_code))
      .map((s) => ({ ...byCode.get(s.matter_code), confidence: s.confidence }));
  } catch {
    return [];
  }
}
