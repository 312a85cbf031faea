/* The citizen app's words in Chinese and English. The Chinese of the page's fixed text is the
   page itself (`data-i18n`, `data-i18n-placeholder`); status and action labels come from the
   action registry (shared/workflow.js), field names in errors from the server. */
import { $, $$ } from "./ui.js";

const T = {
  en: {
    app_title: "Snap Dongguan",
    offline: "Offline",
    login_title: "Snap it, fix it, together",
    login_sub: "Bind your phone to report city problems; ",
    login_points: "valid reports earn points",
    phone: "Mobile number",
    code: "Code",
    send_code: "Get code",
    login: "Sign in",
    step_photo: "Photo",
    add_photo: "Camera / album",
    step_place: "Place",
    locate_me: "📍 Locate",
    tap_map: "Tap the map or drag the pin to the problem",
    step_what: "Problem",
    desc_ph: "Describe the problem, e.g. manhole cover missing on the pavement",
    suggested: "Suggested",
    submit: "Submit",
    draft_saved: "Draft saved",
    case_no: "Case no.",
    handled_by: "Handled by",
    due: "Due",
    follow: "Follow progress",
    report_more: "Report another",
    none_yet: "No reports yet: snap a problem around you",
    back: "‹ Back",
    photos: "Photos",
    before: "Before",
    after: "After",
    progress: "Progress",
    rate_title: "Happy with the result?",
    comment_ph: "Anything to add (optional)",
    send_rating: "Send rating",
    not_fixed: "Not fixed?",
    dispute_ph: "Tell us what is still wrong",
    reopen: "Not fixed: reopen it",
    nickname: "Nickname",
    home_town: "Home town",
    save: "Save",
    messages: "Messages",
    logout: "Sign out",
    tab_report: "Snap",
    tab_mine: "My reports",
    tab_stations: "Stations",
    tab_me: "Me",
    sent: "Sent",
    joined: "Joined an existing case",
    waiting: "Received, awaiting the command centre",
    need_place: "Mark the place on the map first",
    need_what: "Choose a category or describe the problem",
    need_photo: "Add at least one photo",
    sending: "Sending…",
    code_sent: "Code sent",
    resend: "Resend in {s}s",
    demo_code: "Demo mode: your code is {c}",
    queued: "No network: the report is saved and will be sent automatically",
    queued_busy:
      "The server cannot take it right now: the report is saved and will be sent automatically",
    located: "Location set",
    no_geo: "Location unavailable: tap the map",
    geo_https: "Locating needs an HTTPS connection: tap the map to mark the place",
    photo_place: "Using the photo's location",
    saved: "Saved",
    rated: "Rated {r}/5",
    thanks: "Thank you for your rating",
    reopened: "The case is reopened for rework",
    no_msgs: "No messages",
    open_hours: "Hours",
    demo: "demo",
    water: "Water",
    toilet: "Toilet",
    air_conditioning: "A/C",
    microwave: "Microwave",
    wifi: "Wi-Fi",
    charging: "Charging",
    first_aid: "First aid",
    supporter: "You also reported this",
    not_set: "not yet",
    error: "Something went wrong; please try again",
    no_network: "No network: please try again when online",
    editing: "Editing a report that was not accepted: fix what is marked, then tap Submit",
    edit_later: "Edit later",
    outbox_title: "Not sent yet ({n})",
    ob_pending: "Waiting for the network: it will be sent automatically",
    ob_retry: "The server is busy: it will be tried again automatically",
    ob_sending: "Sending…",
    ob_signin: "Sign in again to send it",
    ob_rejected: "Not submitted: {r}",
    ob_edit: "Edit",
    ob_resend: "Resend",
    ob_delete: "Delete",
    ob_confirm_delete: "Delete this report? It has not been submitted and will be lost.",
    ob_untitled: "Report",
    ob_saved_at: "saved {t}",
    ob_rejected_toast: "{n} report(s) were not accepted: see My reports",
    ob_sent_toast: "{n} saved report(s) sent",
    already_sent: "This report was already received",
    check: "Please check: {list}",
    fix_marked: "Please correct what is marked above, then submit again",
    rejected_status: "The server refused it (HTTP {s})",
    attempts_left: "{n} attempt(s) left",
    need_https:
      "Signed in, but this browser cannot keep the sign-in over plain http: open the app over HTTPS",
    cookie_lost:
      "Signed in, but this browser did not keep the sign-in: allow cookies for this site",
    need_code: "Enter the 6-digit code",
    need_phone: "Enter your mobile number",
    need_stars: "Choose how many stars",
    need_reason: "Say what is still wrong",
    required: "Required",
    invalid: "Not valid",
    f_body: "The request",
    f_other: "Input",
    no_town: "Not chosen",
  },
  zh: {
    sent: "上报成功",
    joined: "已并入附近的同类案件",
    waiting: "已收到，待指挥中心受理",
    need_place: "请先在地图上标出位置",
    need_what: "请选择问题类别或描述问题",
    need_photo: "请至少拍一张照片",
    sending: "正在提交…",
    code_sent: "验证码已发送",
    resend: "{s} 秒后重发",
    demo_code: "演示模式：验证码为 {c}",
    queued: "网络不可用：上报已保存，联网后自动提交",
    queued_busy: "服务器暂时无法受理：上报已保存，稍后自动提交",
    located: "已定位",
    no_geo: "无法获取定位，请点击地图标出位置",
    geo_https: "定位需要 HTTPS 连接，请点击地图标出位置",
    photo_place: "已使用照片中的位置",
    saved: "已保存",
    rated: "已评价 {r} 星",
    thanks: "感谢您的评价",
    reopened: "已重新打开案件，等待返工处置",
    no_msgs: "暂无消息",
    open_hours: "开放时间",
    demo: "演示",
    water: "饮水",
    toilet: "厕所",
    air_conditioning: "空调",
    microwave: "微波炉",
    wifi: "Wi-Fi",
    charging: "充电",
    first_aid: "急救药箱",
    supporter: "您也上报了此问题",
    not_set: "暂无",
    error: "出错了，请稍后重试",
    no_network: "网络不可用，请联网后重试",
    outbox_title: "待提交（{n}）",
    ob_pending: "等待联网，联网后自动提交",
    ob_retry: "服务器繁忙，稍后自动重试",
    ob_sending: "正在提交…",
    ob_signin: "请重新登录后提交",
    ob_rejected: "未提交：{r}",
    ob_edit: "修改",
    ob_resend: "重新提交",
    ob_delete: "删除",
    ob_confirm_delete: "删除这条上报？它还没有提交，删除后无法恢复。",
    ob_untitled: "上报",
    ob_saved_at: "保存于 {t}",
    ob_rejected_toast: "有 {n} 条上报未被受理，请到“我的上报”查看并修改",
    ob_sent_toast: "已提交 {n} 条保存的上报",
    already_sent: "这条上报已经提交过了",
    check: "请检查：{list}",
    fix_marked: "请按上面标出的提示修改后重新提交",
    rejected_status: "服务器未受理（HTTP {s}）",
    attempts_left: "还可尝试 {n} 次",
    need_https: "验证通过，但浏览器无法在普通 http 连接下保存登录状态：请通过 HTTPS 地址打开",
    cookie_lost: "验证通过，但浏览器没有保存登录状态：请允许本网站使用 Cookie",
    need_code: "请输入 6 位验证码",
    need_phone: "请输入手机号",
    need_stars: "请选择星级",
    need_reason: "请说明哪里没有解决",
    required: "请填写此项",
    invalid: "输入无效",
    f_body: "提交的内容",
    f_other: "输入内容",
  },
};
/** More words (a view's own, in their module): `{en: {...}, zh: {...}}`. */
export function addWords(words) {
  Object.assign(T.en, words.en);
  Object.assign(T.zh, words.zh);
}

const zhDefaults = {};
$$("[data-i18n]").forEach((el) => {
  zhDefaults[el.dataset.i18n] = el.textContent;
});
$$("[data-i18n-placeholder]").forEach((el) => {
  zhDefaults[el.dataset.i18nPlaceholder] = el.placeholder;
});

/** The language shown: "zh" or "en" (kept in localStorage). */
export let lang = localStorage.getItem("uo_lang") || "zh";

export function setLang(value) {
  lang = value;
  localStorage.setItem("uo_lang", lang);
}

/** The words of `k` in the current language, with `{name}` replaced from `vars`. */
export const t = (k, vars) => {
  let s = (T[lang] && T[lang][k]) || T.zh[k] || zhDefaults[k] || k;
  Object.entries(vars || {}).forEach(([a, b]) => {
    s = s.replace(`{${a}}`, b);
  });
  return s;
};

/** The page's fixed text, the language button and the `lang` cookie in the current language. */
export function translatePage() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  $$("[data-i18n]").forEach((el) => {
    el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults[el.dataset.i18n];
  });
  $$("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder =
      lang === "en" ? t(el.dataset.i18nPlaceholder) : zhDefaults[el.dataset.i18nPlaceholder];
  });
  $("#lang").textContent = lang === "en" ? "中文" : "EN";
  document.cookie = `lang=${lang}; path=/; max-age=31536000; samesite=lax`;
}

/** A time as the citizen reads it (Asia/Shanghai), or "not yet". */
/** A day with its year (Beijing), for dates that may lie months ahead: validity, expiry. */
export const fmtDay = (iso) => {
  if (!iso) return t("not_set");
  return new Date(iso).toLocaleDateString(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
};

export const fmt = (iso) => {
  if (!iso) return t("not_set");
  const d = new Date(iso);
  return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
};
