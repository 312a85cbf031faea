/* Step 3 of the report form: what the problem is — a category chosen by the citizen, or a
   matter suggested by the server for the description (GET /api/v1/suggestions). */
import { lang } from "./i18n.js";
import { api } from "./net.js";
import { clearFields } from "./problems.js";
import { $ } from "./ui.js";

let categories = [];
let category = null;
let matter = null;
let matterName = null;
let lastSuggest = [];
let suggestTimer;
let changed = () => {};

/** `fn` runs whenever the choice or the description changes (the form then saves itself). */
export const onWhatChange = (fn) => {
  changed = fn;
};

/** The categories of GET /api/v1/categories (kept for the outbox's titles, too). */
export function setCategories(list) {
  categories = list;
  renderCats();
}

/** A category's name in the current language, or null. */
export function categoryName(code) {
  const c = categories.find((x) => x.code === code);
  return c ? (lang === "en" ? c.name_en : c.name_zh) : null;
}

/** The choice as the form stores it. */
export const whatData = () => ({ category, matter, matterName });

/** Show a stored choice again (nothing chosen when `d` is empty). */
export function setWhat(d = {}) {
  clearTimeout(suggestTimer);
  category = d.category || null;
  matter = d.matter || null;
  matterName = d.matterName || null;
  renderCats();
  renderSuggest([]);
}

export function renderCats() {
  const box = $("#cats");
  if (!box) return;
  box.replaceChildren();
  categories.forEach((c) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "cat" + (category === c.code ? " on" : "");
    b.dataset.code = c.code;
    b.setAttribute("aria-pressed", String(category === c.code));
    const icon = document.createElement("i");
    icon.textContent = c.icon || "";
    b.append(icon, document.createTextNode(lang === "en" ? c.name_en : c.name_zh));
    b.addEventListener("click", () => {
      category = category === c.code ? null : c.code;
      matter = null;
      matterName = null;
      clearFields("report", "category_code", "matter_code", "what");
      renderCats();
      renderSuggest(lastSuggest);
      changed();
    });
    box.appendChild(b);
  });
}

function renderSuggest(list) {
  lastSuggest = list;
  $("#suggest").hidden = !list.length;
  $("#suggest-list").replaceChildren();
  list.forEach((s) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip" + (matter === s.matter_code ? " on" : "");
    b.textContent = `${s.matter_name} ${Math.round(s.confidence * 100)}%`;
    b.addEventListener("click", () => {
      matter = matter === s.matter_code ? null : s.matter_code;
      matterName = matter ? s.matter_name : null;
      clearFields("report", "category_code", "matter_code", "what");
      renderSuggest(lastSuggest);
      changed();
    });
    $("#suggest-list").appendChild(b);
  });
}

/** No more suggestions for text typed before (the form is being reset or saved). */
export const stopSuggesting = () => clearTimeout(suggestTimer);

$("#desc").addEventListener("input", () => {
  clearFields("report", "description", "what");
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    changed();
    const text = $("#desc").value.trim();
    if (text.length < 2) {
      renderSuggest([]);
      return;
    }
    const q = new URLSearchParams({ text, k: "3" });
    if (category) q.set("category_code", category);
    try {
      renderSuggest(await api(`/api/v1/suggestions?${q}`));
    } catch {
      /* offline: no suggestions */
    }
  }, 350);
});
