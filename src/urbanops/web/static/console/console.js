/* 指挥中心: the command centre's console over /api/v1 (bearer token in sessionStorage): the
   live triage queue (triage.js), the case list with filters, paging and saved views (list.js),
   the map (map.js) and the case detail with its actions (detail.js). Status and action labels
   and each action's form come from the action registry (GET /api/v1/workflow); the buttons
   shown are the case's `allowed_actions`. */
import { loadWorkflow, Workflow } from "../shared/workflow.js";
import {
  api,
  signIn,
  signOut,
  signedIn,
  useLanguage,
  whenSignedOut,
} from "../shared/staff_auth.js";
import { classifierPanel } from "./classifier.js";
import { showCase, tickCountdowns } from "./detail.js";
import { CaseList } from "./list.js";
import { CaseMap } from "./map.js";
import { TriageQueue } from "./triage.js";
import { acceptLanguage, applyLang, currentLang, roleLabel, toggleLang } from "./words.js";

const $ = (s) => document.querySelector(s);
const fmt = (iso) =>
  iso
    ? new Date(iso).toLocaleString(currentLang() === "en" ? "en-GB" : "zh-CN", {
        timeZone: "Asia/Shanghai",
        hour12: false,
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      })
    : "—";

const ctx = {
  workflow: new Workflow(null),
  me: null,
  units: [],
  matters: [],
  categories: [],
  channels: [],
  channelNames: new Map(),
  towns: {},
  fmt,
  canSplit: false,
};
let list = null;
let triage = null;
let map = null;
let current = null;

useLanguage(acceptLanguage);

// signed out (by the button, or the server no longer taking the token): the sign-in form
function logout() {
  if (triage) triage.stop();
  $("#work").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#who").textContent = "";
}
whenSignedOut(logout);
$("#logout").onclick = signOut;

$("#login").onsubmit = async (e) => {
  e.preventDefault();
  try {
    await signIn($("#u").value, $("#p").value);
  } catch (error) {
    $("#login-err").textContent = error.message;
    $("#login-err").hidden = false;
    return;
  }
  $("#login-err").hidden = true;
  start();
};

function showWho() {
  const roles = ctx.me.roles.map(roleLabel).join("、");
  $("#who").textContent = `${ctx.me.name}（${roles}）`;
}

async function pick(id) {
  current = id;
  list.select(id);
  triage.select(id);
  const c = await showCase(id, ctx);
  if (c.status !== ctx.workflow.triage) triage.drop(c.id);
  // one column (a phone): the detail is below the list, so bring it into view
  if (window.matchMedia("(max-width: 760px)").matches) $("#detail").scrollIntoView();
}

async function start() {
  try {
    ctx.me = await api("/api/v1/me");
  } catch {
    return logout();
  }
  showWho();
  $("#login").hidden = true;
  $("#work").hidden = false;
  $("#logout").hidden = false;
  const [workflow, units, matters, categories, channels, towns] = await Promise.all([
    loadWorkflow(),
    api("/api/v1/units"),
    api("/api/v1/matters").catch(() => []),
    api("/api/v1/categories").catch(() => []),
    api("/api/v1/channels").catch(() => []),
    api("/api/v1/towns"),
  ]);
  Object.assign(ctx, { workflow, units, matters, categories, channels });
  ctx.channelNames = new Map(channels.map((ch) => [ch.code, ch.name_zh]));
  ctx.towns = Object.fromEntries(towns.map((tw) => [tw.code, tw.name]));
  ctx.canSplit = ["admin", "intake_clerk", "shift_chief"].some((r) => ctx.me.roles.includes(r));
  ctx.changed = (c) => {
    if (c.status !== ctx.workflow.triage) triage.drop(c.id);
    list.load();
  };
  classifierPanel(api, $("#classifier"));
  list = list || new CaseList({ ...ctx, onPick: pick });
  Object.assign(list.ctx, ctx, { onPick: pick });
  list.fillFilters();
  list.onLoaded = () => map && map.refresh();
  triage =
    triage ||
    new TriageQueue({
      list: $("#triage-list"),
      count: $("#triage-count"),
      live: $("#live"),
      onPick: pick,
      fmt,
    });
  Object.assign(triage, { workflow, channelNames: ctx.channelNames, towns: ctx.towns });
  triage.start();
  await list.load(true);
}

function showTab(name) {
  $("#tab-list").classList.toggle("on", name === "list");
  $("#tab-map").classList.toggle("on", name === "map");
  $("#list-view").hidden = name !== "list";
  $("#map-view").hidden = name !== "map";
  if (name === "map") {
    map =
      map ||
      new CaseMap($("#map"), {
        onPick: pick,
        query: () => list.query(),
        fallback: () => list.items,
        note: $("#map-note"),
      });
    map.refresh();
  }
}
$("#tab-list").onclick = () => showTab("list");
$("#tab-map").onclick = () => showTab("map");
$("#heat").onchange = (e) => map && map.setHeat(e.target.checked);

$("#lang").onclick = () =>
  toggleLang(() => {
    if (!ctx.me) return;
    showWho();
    list.fillFilters();
    list.render();
    triage.render();
    if (current) showCase(current, ctx);
  });

applyLang();
setInterval(tickCountdowns, 1000);
if (signedIn()) start();
else logout();
