/* 领导督办 /leader: the urged and escalated cases in the leader's charge with a one-tap 批示,
   the overdue counts by town and by unit, and the leader's inbox. Signs in as every staff
   page does (shared/staff_auth.js); everything is read
   from /api/v1 in the page's language (zh by default, en selectable). */
import { html } from "../shared/html.js";
import {
  api as staffApi,
  signIn,
  signOut,
  signedIn as staffSignedIn,
  useLanguage,
  whenSignedOut,
  whoAmI,
} from "../shared/staff_auth.js";
import { loadWorkflow, Workflow } from "../shared/workflow.js";
import { caseCards, bindCards } from "./cards.js";
import { townBars, unitTable, inboxList, bindInbox } from "./side.js";
import { ROLE_NAMES, WORDS } from "./words.js";

const $ = (s) => document.querySelector(s);
const $$ = (s) => Array.from(document.querySelectorAll(s));
const zhDefaults = Object.fromEntries(
  $$("[data-i18n]").map((el) => [el.dataset.i18n, el.textContent]),
);

let lang = localStorage.getItem("uo_lang") || "zh";
let signedIn = false;
let me = null;
const state = {
  cases: [],
  total: 0,
  page: 1,
  counts: null,
  inbox: null,
  workflow: new Workflow(null),
};

function t(key, vars) {
  let s = (WORDS[lang] && WORDS[lang][key]) ?? WORDS.zh[key] ?? zhDefaults[key] ?? key;
  Object.entries(vars || {}).forEach(([a, b]) => {
    s = s.replace(`{${a}}`, b);
  });
  return s;
}
const languageHeader = () => (lang === "en" ? "en" : "zh-CN");
const fmt = (iso) =>
  iso
    ? new Date(iso).toLocaleString(languageHeader(), { timeZone: "Asia/Shanghai", hour12: false })
    : "—";

useLanguage(languageHeader);
const api = async (path, opts = {}) => (await staffApi(path, opts)) ?? {};

const ctx = { t, api, fmt, lang: () => lang, state, refresh: () => refresh() };

function render() {
  const roles = (me ? me.roles : []).map((r) => ROLE_NAMES[lang][r] || r).join("、");
  $("#who").textContent = me ? `${me.name}（${roles}）` : "";
  $("#n-supervised").textContent = state.total;
  $("#n-overdue").textContent = state.counts ? state.counts.total : "—";
  $("#n-unread").textContent = state.inbox ? state.inbox.unread : "—";
  $("#cases").innerHTML = html`${caseCards(ctx)}`;
  const more = state.cases.length < state.total;
  $("#more").innerHTML = html`${
    more
      ? html`<button id="load-more" type="button">${t("more", { total: state.total })}</button>`
      : ""
  }`;
  $("#by-town").innerHTML = html`${townBars(ctx)}`;
  $("#by-unit").innerHTML = html`${unitTable(ctx)}`;
  $("#inbox").innerHTML = html`${inboxList(ctx)}`;
}

$("#more").addEventListener("click", async (e) => {
  if (!e.target.closest("#load-more")) return;
  state.page += 1;
  const next = await api(`/api/v1/leader/supervised?page=${state.page}&page_size=20`);
  state.cases = state.cases.concat(next.items);
  state.total = next.total;
  render();
});

async function refresh() {
  const [page, counts, inbox] = await Promise.all([
    api("/api/v1/leader/supervised?page_size=20"),
    api("/api/v1/leader/overdue"),
    api("/api/v1/inbox?page_size=10"),
  ]);
  Object.assign(state, { cases: page.items, total: page.total, page: 1, counts, inbox });
  render();
}

function applyLang() {
  document.documentElement.lang = languageHeader();
  $$("[data-i18n]").forEach((el) => {
    el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults[el.dataset.i18n];
  });
  $("#lang").textContent = lang === "en" ? "中文" : "EN";
  if (signedIn) render();
}

// signed out (by the button, or the server no longer taking the token): the sign-in form
function logout() {
  signedIn = false;
  me = null;
  $("#work").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#who").textContent = "";
}

async function start() {
  try {
    me = await whoAmI();
  } catch {
    return logout();
  }
  $("#logout").hidden = false;
  if (!me.roles.includes("leader") && !me.roles.includes("admin")) {
    render();
    $("#login-err").textContent = t("not_leader");
    $("#login-err").hidden = false;
    return;
  }
  $("#login").hidden = true;
  state.workflow = await loadWorkflow();
  await refresh();
  signedIn = true;
  $("#work").hidden = false;
}

$("#lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("uo_lang", lang);
  applyLang();
});
whenSignedOut(logout);
$("#logout").addEventListener("click", signOut);
$("#reload").addEventListener("click", () => refresh());
$("#login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await signIn($("#u").value, $("#p").value);
  } catch (error) {
    $("#login-err").textContent = error.message || t("error");
    $("#login-err").hidden = false;
    return;
  }
  $("#login-err").hidden = true;
  start();
});

bindCards($("#cases"), ctx);
bindInbox($("#inbox"), $("#read-all"), ctx);
applyLang();
if (staffSignedIn()) start();
else logout();
