/* 节假日安排: review and publish a year's holiday schedule over /api/v1/admin/calendar
   (admins only; sign-in and language in ./page.js). */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

// ---- i18n -----------------------------------------------------------------------------------
const T = {
  en: {
    title: "UrbanOps holiday schedules",
    nav_calendar: "Holiday schedules",
    nav_channels: "Referral channels",
    nav_prizes: "Prizes",
    nav_figures: "Campaign figures",
    nav_console: "Command centre",
    logout: "Sign out",
    login_title: "Admin sign-in",
    username: "User name",
    password: "Password",
    login: "Sign in",
    intro:
      "Each November the State Council publishes next year's holidays. Import the schedule, review the draft, then publish it: deadlines that depend on the year are recomputed automatically.",
    upload_title: "Import a holiday schedule",
    upload_hint:
      "A holiday-cn JSON file, or CSV: date,off|on[,name] (off: day off, on: make-up working day)",
    publish_now: "Publish at once (required to correct a published year)",
    preview: "Preview",
    import: "Import",
    status_line:
      "Built in: {a}–{b} (chinesecalendar). Deadlines running into {p} are counted on weekdays alone (provisional) until its schedule is published; later years cannot be computed.",
    year: "{y}",
    days_off: "Days off",
    make_up: "Make-up working days",
    holidays: "Holidays",
    none: "none",
    publish: "Publish {y}",
    legend_off: "day off",
    legend_on: "make-up working day",
    legend_we: "weekend",
    imported: "Imported {t}",
    published_at: "published {t}",
    no_years: "No schedule imported yet.",
    imported_ok: "Imported as a draft: review it below, then publish.",
    published_ok: "{y} published; {n} case deadline(s) recomputed.",
    imported_published: "Imported and published {y}; {n} case deadline(s) recomputed.",
    preview_ok: "Preview only: nothing was written.",
    not_admin: "This page is for admins only.",
    choose_file: "Choose a file first",
    days: "{n} d",
    error: "Something went wrong",
    source: "Source: {s}",
  },
  zh: {
    status_line:
      "内置年份：{a}–{b} 年（chinesecalendar）。跨入 {p} 年的时限在其安排发布前暂按工作日（周一至周五）计算；更晚的年份无法计算。",
    year: "{y} 年",
    days_off: "放假",
    make_up: "补班",
    holidays: "节假日",
    none: "无",
    publish: "发布 {y} 年",
    legend_off: "放假",
    legend_on: "补班（上班）",
    legend_we: "周末",
    imported: "导入于 {t}",
    published_at: "发布于 {t}",
    no_years: "尚未导入任何年度的安排。",
    imported_ok: "已导入为草稿：请在下方审核后发布。",
    published_ok: "{y} 年已发布，{n} 件案件的时限已重算。",
    imported_published: "已导入并发布 {y} 年，{n} 件案件的时限已重算。",
    preview_ok: "仅预览，未写入任何内容。",
    not_admin: "此页面仅限系统管理员使用。",
    choose_file: "请先选择文件",
    days: "{n} 天",
    error: "出错了",
    source: "来源：{s}",
  },
};
let state = null,
  preview = null;
const page = adminPage({
  words: T,
  load,
  render: () => render(),
  reset: () => {
    state = null;
  },
});
const { t, api } = page;
const fmt = (iso) =>
  new Date(iso).toLocaleString(page.lang() === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    hour12: false,
  });
async function load() {
  state = await api("/api/v1/admin/calendar");
  render();
}

// ---- rendering ------------------------------------------------------------------------------
const WEEK = {
  zh: ["一", "二", "三", "四", "五", "六", "日"],
  en: ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
};
const MONTHS_EN = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];
function month(year, m, days) {
  const first = new Date(Date.UTC(year, m, 1)),
    n = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7;
  const cells = Array(lead).fill(html`<td></td>`);
  for (let d = 1; d <= n; d++) {
    const iso = `${year}-${String(m + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    const day = days[iso],
      dow = (lead + d - 1) % 7;
    const cls = day ? (day.off ? "off" : "on") : dow >= 5 ? "we" : "";
    const title = day
      ? `${day.name ? day.name + " · " : ""}${t(day.off ? "legend_off" : "legend_on")}`
      : "";
    cells.push(
      title
        ? html`<td class="${cls}" data-date="${iso}" title="${title}">${d}</td>`
        : html`<td class="${cls}" data-date="${iso}">${d}</td>`,
    );
  }
  while (cells.length % 7) cells.push(html`<td></td>`);
  const rows = [];
  for (let i = 0; i < cells.length; i += 7)
    rows.push(
      html`<tr>
        ${cells.slice(i, i + 7)}
      </tr>`,
    );
  const name = page.lang() === "en" ? MONTHS_EN[m] : `${m + 1} 月`;
  return html`<div class="month">
    <h4>${name}</h4>
    <table>
      <thead>
        <tr>
          ${WEEK[page.lang() === "en" ? "en" : "zh"].map((w) => html`<th>${w}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
function yearCard(y) {
  const days = {};
  y.days.forEach((d) => {
    days[d.date] = d;
  });
  const label = page.lang() === "en" ? y.status_label_en : y.status_label;
  const when = [
    y.imported_at && t("imported", { t: fmt(y.imported_at) }),
    y.published_at && t("published_at", { t: fmt(y.published_at) }),
  ]
    .filter(Boolean)
    .join(" · ");
  const holidays = y.holidays.length
    ? y.holidays.map(
        (h) =>
          html`<li>
            <b>${h.name || "—"}</b>
            ${h.first.slice(5)}${h.last !== h.first ? "–" + h.last.slice(5) : ""}（${t("days", { n: h.days_off })}）
          </li>`,
      )
    : html`<li class="muted">${t("none")}</li>`;
  const warnings = y.warnings.length
    ? html`<ul class="warnings">
        ${y.warnings.map((w) => html`<li>${page.lang() === "en" ? w.message_en : w.message}</li>`)}
      </ul>`
    : "";
  const button =
    y.status === "draft"
      ? html`<button class="primary" data-publish="${y.year}">
          ${t("publish", { y: y.year })}
        </button>`
      : "";
  const months = Array.from({ length: 12 }, (_, m) => month(y.year, m, days));
  return html`<section class="panel year" data-year="${y.year}" data-status="${y.status}">
    <header>
      <h3>
        ${t("year", { y: y.year })} <span class="badge ${y.status}">${label}</span>
        <small class="muted">${when}</small>
      </h3>
      ${button}
    </header>
    ${y.source ? html`<p class="muted">${t("source", { s: y.source })}</p>` : ""}
    <div class="counts">
      <span>${t("days_off")} <b class="n-off">${y.days_off}</b></span
      ><span>${t("make_up")} <b class="n-on">${y.make_up_days}</b></span>
    </div>
    <ul class="holidays">
      ${holidays}
    </ul>
    ${warnings}
    <div class="legend">
      <span><i class="off"></i>${t("legend_off")}</span
      ><span><i class="on"></i>${t("legend_on")}</span
      ><span><i class="we"></i>${t("legend_we")}</span>
    </div>
    <div class="months">${months}</div>
  </section>`;
}
function render() {
  $("#status-line").textContent = t("status_line", {
    a: state.builtin_years[0],
    b: state.builtin_years[1],
    p: state.provisional_year,
  });
  const none = html`<p class="panel muted">${t("no_years")}</p>`;
  $("#years").innerHTML = html`${state.years.length ? state.years.map(yearCard) : none}`;
  $("#preview").innerHTML = html`${preview ? preview.years.map(yearCard) : ""}`;
}
function message(text, bad) {
  const m = $("#upload-msg");
  m.textContent = text;
  m.classList.toggle("bad", !!bad);
  m.hidden = false;
}

// ---- actions --------------------------------------------------------------------------------
async function send(isPreview) {
  const file = $("#file").files[0];
  if (!file) return message(t("choose_file"), true);
  const body = new FormData();
  body.append("file", file);
  body.append("publish", $("#publish-now").checked ? "true" : "false");
  body.append("preview", isPreview ? "true" : "false");
  try {
    const r = await api("/api/v1/admin/calendar/import", { method: "POST", body });
    preview = isPreview ? r : null;
    const years = r.years.map((y) => y.year).join("、");
    const warnings = r.warnings
      .map((w) => (page.lang() === "en" ? w.message_en : w.message))
      .join("；");
    const text = isPreview
      ? t("preview_ok")
      : r.published.length
        ? t("imported_published", { y: years, n: r.recomputed })
        : t("imported_ok");
    message(warnings ? `${text}（${warnings}）` : text, false);
    if (!isPreview) {
      $("#upload").reset();
      await load();
    } else render();
  } catch (e) {
    message(e.message, true);
  }
}
$("#upload").addEventListener("submit", (e) => {
  e.preventDefault();
  send(false);
});
$("#preview-btn").addEventListener("click", () => send(true));
$("#years").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-publish]");
  if (!b) return;
  b.disabled = true;
  try {
    const r = await api(`/api/v1/admin/calendar/${b.dataset.publish}/publish`, { method: "POST" });
    message(t("published_ok", { y: r.year, n: r.recomputed }), false);
    await load();
  } catch (err) {
    message(err.message, true);
    b.disabled = false;
  }
});

page.begin();
