/* 排行榜: the weekly, monthly and all-time boards of the city and of a town
   (GET /api/v1/citizen/boards?period=&scope=&town=: the top 50 and where the citizen stands),
   and the citizen's choice to stay off every board (PUT /api/v1/citizen/boards/preference;
   points and titles are kept). Nicknames only, as the server gives them. */
import { html } from "../shared/html.js";
import { t } from "./i18n.js";
import { signedOut } from "./nav.js";
import { api, isNetworkError, outcomeOf } from "./net.js";
import { read, setState } from "./reads.js";
import "./rewards_words.js";
import { $, $$, toast } from "./ui.js";

const MEDALS = { 1: "🥇", 2: "🥈", 3: "🥉" };
const choice = { period: "week", scope: "city", town: "" };
let townsLoaded = false;

function pathOf() {
  const q = new URLSearchParams({ period: choice.period, scope: choice.scope });
  if (choice.scope === "town" && choice.town) q.set("town", choice.town);
  return `/api/v1/citizen/boards?${q}`;
}

function meCard(b) {
  const me = b.me;
  let where;
  if (!me.listed) where = t("b_off");
  else if (me.rank) where = t("b_rank", { n: me.rank });
  else where = t("b_none");
  return html`<div class="me-rank">
      <small>${t("b_me")}</small>
      <b>${where}</b>
    </div>
    <div class="me-score">
      <small>${t(b.period === "all" ? "b_score_all" : "b_score")}</small>
      <b>${me.score}</b>
    </div>`;
}

// "2026-W49" → 第 49 周, "2026-12" → 2026 年 12 月, "all" → nothing
function periodName(b) {
  const week = /^(\d{4})-W(\d{2})$/.exec(b.period_key);
  if (week) return ` · ${t("b_wk", { n: +week[2] })}`;
  const month = /^(\d{4})-(\d{2})$/.exec(b.period_key);
  if (month) return ` · ${t("b_mo", { y: month[1], m: +month[2] })}`;
  return "";
}

function renderBoard(b) {
  const where = b.scope === "town" ? b.town_name || "" : t("b_city");
  $("#board-title").textContent = t("b_title", {
    p: t(`b_${b.period}`),
    w: where,
    k: periodName(b),
  });
  $("#board-count").textContent = t("b_count", { n: b.citizens });
  $("#board-me").innerHTML = html`${meCard(b)}`;
  $("#board-me").hidden = false;
  $("#board-listed").checked = b.me.listed;
  $("#board-list").innerHTML = html`${
    b.top.length
      ? b.top.map(
          (p) =>
            html`<li class="${p.is_me ? "me" : ""} ${p.rank <= 3 ? "podium" : ""}">
              <span class="rank">${MEDALS[p.rank] || p.rank}</span>
              <span class="who">${p.nickname}${p.is_me ? html`<i>${t("b_you")}</i>` : ""}</span>
              <span class="score">${p.score}</span>
            </li>`,
        )
      : html`<li class="empty">${t("b_empty")}</li>`
  }`;
}

async function loadTowns() {
  if (townsLoaded) return;
  const list = await api("/api/v1/towns").catch(() => null);
  if (!list) return;
  townsLoaded = true;
  const sel = $("#board-town");
  list.forEach((tw) => sel.add(new Option(tw.name, tw.code)));
  sel.value = choice.town;
}

function showChoice() {
  $$("#board-period button").forEach((b) =>
    b.classList.toggle("on", b.dataset.period === choice.period),
  );
  $$("#board-scope button").forEach((b) =>
    b.classList.toggle("on", b.dataset.scope === choice.scope),
  );
  $("#board-town").hidden = choice.scope !== "town";
}

export async function loadBoards() {
  showChoice();
  if (choice.scope === "town") loadTowns();
  const data = await read("boards", pathOf(), renderBoard, loadBoards);
  // a town board with no town to show (no home town, no points yet): ask for one
  if (!data && choice.scope === "town" && !choice.town) {
    setState("boards", "error", t("b_pick_town"));
    $("#board-list").replaceChildren();
    $("#board-me").hidden = true;
  }
}

$("#board-period").addEventListener("click", (e) => {
  const b = e.target.closest("[data-period]");
  if (!b) return;
  choice.period = b.dataset.period;
  loadBoards();
});
$("#board-scope").addEventListener("click", (e) => {
  const b = e.target.closest("[data-scope]");
  if (!b) return;
  choice.scope = b.dataset.scope;
  loadBoards();
});
$("#board-town").addEventListener("change", (e) => {
  choice.town = e.target.value;
  loadBoards();
});

$("#board-listed").addEventListener("change", async (e) => {
  const box = e.target;
  const wanted = box.checked;
  box.disabled = true;
  try {
    const r = await api("/api/v1/citizen/boards/preference", {
      method: "PUT",
      body: { listed: wanted },
    });
    box.checked = r.listed;
    toast(t(r.listed ? "b_on_toast" : "b_off_toast"));
    loadBoards();
  } catch (err) {
    box.checked = !wanted;
    if (outcomeOf(err) === "auth") signedOut();
    else toast(isNetworkError(err) ? t("no_network") : err.message);
  } finally {
    box.disabled = false;
  }
});
