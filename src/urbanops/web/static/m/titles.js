/* 头衔与勋章: the citizen's titles and badge levels with how far each is from its next level
   (GET /api/v1/citizen/rewards/titles), and the honour roll of last month
   (GET /api/v1/rewards/honour-roll: its 文明得分王 and 文明助攻王 by nickname, how many became
   文明新秀). Names of titles come from the server, in both languages. */
import { html } from "../shared/html.js";
import { fmt, lang, t } from "./i18n.js";
import { read } from "./reads.js";
import "./rewards_words.js";
import { $ } from "./ui.js";

const ICONS = { newcomer: "🌱", reports: "📷", assist_king: "🤝", score_king: "👑" };
const nameOf = (x) => (lang === "en" ? x.name_en : x.name) || x.code;

function monthName(key) {
  const m = /^(\d{4})-(\d{2})$/.exec(key || "");
  return m ? t("b_mo", { y: m[1], m: +m[2] }) : key;
}

function nextStep(p) {
  if (p.next_at == null) return p.max_level > 1 ? t("tt_all") : "";
  const left = p.next_at - p.count;
  if (p.code === "assist_king") return t("tt_more_assists", { n: left });
  return p.max_level > 1
    ? t("tt_more_reports_level", { n: left, l: p.level + 1 })
    : t("tt_more_reports", { n: left });
}

function progressCard(p) {
  const reached = p.level > 0;
  const lvl =
    p.max_level > 1
      ? t("tt_level", { l: p.level, m: p.max_level })
      : t(reached ? "tt_got" : "tt_not");
  const goal = p.next_at ?? p.count;
  const counted = t(p.code === "assist_king" ? "tt_assists" : "tt_reports", { n: p.count });
  const detail = [counted, nextStep(p)].filter(Boolean).join(" · ");
  return html`<li class="title ${reached ? "got" : ""}" data-code="${p.code}">
    <span class="ticon">${ICONS[p.code] || "🏅"}</span>
    <div class="t">
      <div class="th"><b>${nameOf(p)}</b><span class="lvl">${lvl}</span></div>
      <progress max="${goal || 1}" value="${Math.min(p.count, goal || 1)}"></progress>
      <small>${detail}</small>
    </div>
  </li>`;
}

function awardItem(a) {
  let what = a.level > 1 || a.code === "reports" ? t("tt_level_n", { l: a.level }) : "";
  if (a.code === "score_king")
    what = t("tt_king_of", { m: monthName(a.period), r: a.rank, s: a.score });
  return html`<li>
    <span class="ticon small">${ICONS[a.code] || "🏅"}</span>
    <div class="t"><b>${nameOf(a)}</b>${what ? html`<small>${what}</small>` : ""}</div>
    <small class="when">${fmt(a.awarded_at)}</small>
  </li>`;
}

// a badge's levels come one row each: the highest tells where the citizen is
function highest(awards) {
  const top = {};
  awards.forEach((a) => {
    if (a.code === "reports" && (!top.reports || a.level > top.reports.level)) top.reports = a;
  });
  return awards.filter((a) => a.code !== "reports" || a === top.reports);
}

function renderTitles(r) {
  $("#tt-reports").textContent = r.valid_reports;
  $("#tt-assists").textContent = r.assists;
  $("#title-progress").innerHTML = html`${r.progress.map(progressCard)}`;
  $("#title-awards").innerHTML = html`${highest(r.titles).map(awardItem)}`;
  $("#awards-empty").hidden = r.titles.length > 0;
}

function honoured(list, detail) {
  return list.length
    ? list.map(
        (h) =>
          html`<li>
            <span class="who">${h.nickname}</span><span class="score">${detail(h)}</span>
          </li>`,
      )
    : html`<li class="empty">${t("hr_none")}</li>`;
}

function renderRoll(r) {
  $("#roll-month").textContent = monthName(r.month);
  $("#roll-kings").innerHTML =
    html`${honoured(r.score_kings, (h) => t("hr_score", { s: h.score }))}`;
  $("#roll-assists").innerHTML = html`${honoured(r.assist_kings, (h) =>
    t("hr_assists", { n: h.assists }),
  )}`;
  $("#roll-counts").textContent = t("hr_counts", { n: r.newcomers, m: r.titled });
}

export async function loadTitles() {
  const mine = await read("titles", "/api/v1/citizen/rewards/titles", renderTitles, loadTitles);
  if (mine) await read("titles", "/api/v1/rewards/honour-roll", renderRoll, null, { then: true });
}
