/* 活动数据: the 全莞拍 campaign's figures over a span of days (GET /api/v1/rewards/figures):
   participants, valid reports, titles, redemptions by prize and state, shares and assists,
   points issued and redeemed and their cost in yuan; the city's boards and last month's
   honour roll beside them (the public routes). For rewards clerks and admins. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const T = {
  en: {
    title: "UrbanOps campaign figures",
    not_admin: "This page is for rewards clerks and admins.",
    from: "From",
    to: "To",
    show: "Show",
    this_month: "This month",
    last_month: "Last month",
    campaign: "Since the start",
    loading: "Loading…",
    span_of: "{a} to {b}",
    participants: "Participants",
    participants_hint: "citizens who earned points",
    valid_reports: "Valid reports",
    valid_hint: "cases whose points were confirmed",
    titles_total: "Titles awarded",
    redeemed_items: "Prizes redeemed",
    redeemed_hint: "not cancelled",
    assists: "Assists",
    assists_hint: "{c} citizens, {p} points",
    shares: "Came by a share link",
    shares_hint: "brought by {s} citizens",
    cost: "Cost of redeemed points",
    cost_hint: "issued points worth {v}",
    points: "Points issued and redeemed",
    titles: "Titles and badges",
    redemptions: "Redemptions by prize and state",
    boards: "Boards (city)",
    week: "Weekly",
    month: "Monthly",
    all: "All time",
    honour: "Honour roll",
    honour_of: "{m}",
    kings: "Top scorers (文明得分王)",
    assist_kings: "Assist champions (文明助攻王)",
    newcomers: "{n} new 文明新秀, {t} citizens titled",
    nobody: "Nobody yet.",
    kind: "Kind",
    count: "Points",
    yuan: "Yuan (1 point = {v})",
    earned: "Earned by reports",
    assisted: "Assists",
    clawed_back: "Clawed back",
    adjusted: "Adjusted by staff",
    issued: "Issued",
    spent: "Spent on prizes",
    refunded: "Refunded",
    redeemed: "Redeemed",
    expired: "Expired (resets)",
    title_col: "Title",
    awarded: "Awarded",
    prize: "Prize",
    st_requested: "Requested",
    st_issued: "Ready",
    st_collected: "Collected",
    st_cancelled: "Cancelled",
    total: "Total",
    spent_points: "Points",
    rank: "Rank",
    nickname: "Nickname",
    score: "Score",
    on_board: "{n} citizens on the board",
    none: "None in this span.",
  },
  zh: {
    not_admin: "此页面仅限积分管理员或系统管理员使用。",
    loading: "加载中…",
    span_of: "{a} 至 {b}",
    participants: "参与市民",
    participants_hint: "获得积分的市民",
    valid_reports: "有效上报",
    valid_hint: "积分已确认到账的案件",
    titles_total: "授予头衔",
    redeemed_items: "兑换好礼",
    redeemed_hint: "不含已取消",
    assists: "助攻",
    assists_hint: "{c} 位市民，{p} 分",
    shares: "经分享加入",
    shares_hint: "由 {s} 位市民分享带来",
    cost: "已兑换积分成本",
    cost_hint: "发放积分折合 {v}",
    kings: "文明得分王",
    assist_kings: "文明助攻王",
    newcomers: "新增文明新秀 {n} 人，共 {t} 位市民获得头衔",
    nobody: "暂无。",
    kind: "类别",
    count: "积分",
    yuan: "折合金额（1 分 = {v}）",
    earned: "上报获得",
    assisted: "助攻",
    clawed_back: "收回",
    adjusted: "人工调整",
    issued: "发放合计",
    spent: "兑换支出",
    refunded: "取消退回",
    redeemed: "兑换合计",
    expired: "清零",
    title_col: "头衔",
    awarded: "授予",
    prize: "好礼",
    st_requested: "待发放",
    st_issued: "待领取",
    st_collected: "已领取",
    st_cancelled: "已取消",
    total: "合计",
    spent_points: "消耗积分",
    rank: "名次",
    nickname: "昵称",
    score: "积分",
    on_board: "共 {n} 位市民上榜",
    none: "该区间暂无。",
  },
};

let figures = null;
let board = null;
let roll = null;

const page = adminPage({
  words: T,
  allow: ["admin", "rewards_clerk"],
  load: async () => {
    setSpan("month");
    await reload();
  },
  render: () => render(),
  reset: () => {
    figures = board = roll = null;
  },
});
const { t, api } = page;

// today in Beijing, as YYYY-MM-DD
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

function setSpan(which) {
  const day = today();
  const [y, m] = day.split("-").map(Number);
  const pad = (n) => String(n).padStart(2, "0");
  if (which === "month") {
    $("#from").value = `${y}-${pad(m)}-01`;
    $("#to").value = day;
  } else if (which === "last") {
    const py = m === 1 ? y - 1 : y;
    const pm = m === 1 ? 12 : m - 1;
    const last = new Date(Date.UTC(py, pm, 0)).getUTCDate();
    $("#from").value = `${py}-${pad(pm)}-01`;
    $("#to").value = `${py}-${pad(pm)}-${pad(last)}`;
  } else {
    $("#from").value = "2023-01-01";
    $("#to").value = day;
  }
}

async function reload() {
  $("#state").textContent = t("loading");
  const q = new URLSearchParams({ from: $("#from").value, to: $("#to").value });
  try {
    [figures, board, roll] = await Promise.all([
      api(`/api/v1/rewards/figures?${q}`),
      api(`/api/v1/rewards/boards?period=${$("#period").value}&scope=city`),
      api("/api/v1/rewards/honour-roll"),
    ]);
    $("#state").textContent = "";
  } catch (err) {
    $("#state").textContent = err.message;
  }
  render();
}

// numbers in the page's language; a negative one with a true minus sign, never "-0"
const number = (n) => {
  const v = Number(n) || 0;
  const s = Math.abs(v).toLocaleString(page.lang() === "en" ? "en" : "zh-CN");
  return v < 0 ? `−${s}` : s;
};
const yuan = (fen) => {
  const v = Number(fen) || 0;
  const s = (Math.abs(v) / 100).toLocaleString("zh-CN", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  return v < 0 ? `−¥${s}` : `¥${s}`;
};

function card(key, value, hint) {
  return html`<div class="card" data-figure="${key}">
    <h3>${t(key)}</h3>
    <div class="count">${value}</div>
    <small>${hint || ""}</small>
  </div>`;
}

function cards(f) {
  return [
    card("participants", number(f.participants), t("participants_hint")),
    card("valid_reports", number(f.valid_reports), t("valid_hint")),
    card("titles_total", number(f.titles_total)),
    card("redeemed_items", number(f.redemptions_total), t("redeemed_hint")),
    card(
      "assists",
      number(f.assists.entries),
      t("assists_hint", { c: number(f.assists.citizens), p: number(f.assists.points) }),
    ),
    card("shares", number(f.shares.invited), t("shares_hint", { s: number(f.shares.sharers) })),
    card("cost", yuan(f.cost.redeemed_fen), t("cost_hint", { v: yuan(f.cost.issued_fen) })),
  ];
}

function pointsTable(f) {
  const p = f.points;
  const fen = f.cost.point_value_fen;
  const row = (key, n, sum) =>
    html`<tr>
      <td class="${sum ? "sum" : ""}">${t(key)}</td>
      <td class="num ${sum ? "sum" : ""}">${number(n)}</td>
      <td class="num ${sum ? "sum" : ""}">${yuan(n * fen)}</td>
    </tr>`;
  return html`<thead>
      <tr>
        <th>${t("kind")}</th>
        <th class="num">${t("count")}</th>
        <th class="num">${t("yuan", { v: yuan(fen) })}</th>
      </tr>
    </thead>
    <tbody>
      ${row("earned", p.earned)} ${row("assisted", p.assists)} ${row("clawed_back", -p.clawed_back)}
      ${row("adjusted", p.adjusted)} ${row("issued", p.issued, true)} ${row("spent", p.spent)}
      ${row("refunded", -p.refunded)} ${row("redeemed", p.redeemed, true)}
      ${row("expired", p.expired)}
    </tbody>`;
}

function titlesTable(f) {
  const name = (x) => (page.lang() === "en" ? x.name_en : x.name);
  return html`<thead>
      <tr>
        <th>${t("title_col")}</th>
        <th class="num">${t("awarded")}</th>
      </tr>
    </thead>
    <tbody>
      ${f.titles.map(
        (x) =>
          html`<tr data-title="${x.code}">
            <td>${name(x)}</td>
            <td class="num">${number(x.awarded)}</td>
          </tr>`,
      )}
    </tbody>`;
}

const STATES = ["requested", "issued", "collected", "cancelled"];

function redemptionsTable(f) {
  if (!f.redemptions.length)
    return html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
  return html`<thead>
      <tr>
        <th>${t("prize")}</th>
        ${STATES.map((s) => html`<th class="num">${t(`st_${s}`)}</th>`)}
        <th class="num">${t("total")}</th>
        <th class="num">${t("spent_points")}</th>
      </tr>
    </thead>
    <tbody>
      ${f.redemptions.map(
        (r) =>
          html`<tr data-prize="${r.prize_id}">
            <td>${r.name}</td>
            ${STATES.map((s) => html`<td class="num">${number(r[s])}</td>`)}
            <td class="num">${number(r.total)}</td>
            <td class="num">${number(r.points)}</td>
          </tr>`,
      )}
    </tbody>`;
}

function boardTable(b) {
  if (!b.top.length)
    return html`<tr>
      <td class="muted">${t("nobody")}</td>
    </tr>`;
  return html`<caption class="muted">
      ${t(b.period)} ${b.period === "all" ? "" : b.period_key} ·
      ${t("on_board", { n: number(b.citizens) })}
    </caption>
    <thead>
      <tr>
        <th class="num">${t("rank")}</th>
        <th>${t("nickname")}</th>
        <th class="num">${t("score")}</th>
      </tr>
    </thead>
    <tbody>
      ${b.top.slice(0, 20).map(
        (p) =>
          html`<tr>
            <td class="num">${p.rank}</td>
            <td>${p.nickname}</td>
            <td class="num">${number(p.score)}</td>
          </tr>`,
      )}
    </tbody>`;
}

function honour(r) {
  const list = (rows, show) =>
    rows.length
      ? html`<ol>
          ${rows.map((x) => html`<li>${show(x)}</li>`)}
        </ol>`
      : html`<p class="muted">${t("nobody")}</p>`;
  return html`<div class="honour">
    <p class="muted">
      ${r.month} · ${t("newcomers", { n: number(r.newcomers), t: number(r.titled) })}
    </p>
    <h3>${t("kings")}</h3>
    ${list(r.score_kings, (x) => `${x.nickname} · ${number(x.score)}`)}
    <h3>${t("assist_kings")}</h3>
    ${list(r.assist_kings, (x) => `${x.nickname} · ${number(x.assists)}`)}
  </div>`;
}

function render() {
  if (!figures) return;
  $("#cards").innerHTML = html`${cards(figures)}`;
  $("#points").innerHTML = html`${pointsTable(figures)}`;
  $("#titles").innerHTML = html`${titlesTable(figures)}`;
  $("#redemptions").innerHTML = html`${redemptionsTable(figures)}`;
  if (board) $("#board").innerHTML = html`${boardTable(board)}`;
  if (roll) $("#honour").innerHTML = html`${honour(roll)}`;
}

$("#span").addEventListener("submit", (e) => {
  e.preventDefault();
  reload();
});
$("#span").addEventListener("click", (e) => {
  const which = e.target.dataset?.span;
  if (!which) return;
  setSpan(which);
  reload();
});
$("#period").addEventListener("change", () => reload());

page.begin();
