/* The field app's words, Chinese first (the template's text) and English; the choice is kept in
   localStorage "uo_lang", as the other pages keep it. */

const WORDS = {
  zh: {
    tab_tasks: "我的任务",
    tab_verify: "核查任务",
    tab_area: "片区案件",
    count: "共 {n} 件",
    empty_tasks: "暂无待办任务",
    empty_verify: "暂无待核查案件",
    empty_area: "片区内暂无未办结案件",
    where_unknown: "未获取到手机位置，无法按距离排序",
    where_known: "已定位：距离按手机当前位置计算",
    left: "剩余 {t}",
    overdue: "已超期 {t}",
    no_deadline: "无时限",
    days: "{n}天",
    hours: "{n}小时",
    minutes: "{n}分",
    km: "{n} 公里",
    m: "{n} 米",
    due_at: "处置时限",
    address: "地址",
    matter: "事项",
    description: "市民描述",
    citizen_photos: "市民照片",
    before_photos: "处置前",
    after_photos: "处置后",
    no_photos: "无照片",
    navigate: "导航",
    nav_geo: "地图应用",
    nav_amap: "高德地图",
    nav_baidu: "百度地图",
    timeline: "办理经过",
    read_only: "片长只读查看；处置由处置人员办理",
    confirm: "确认{a}",
    cancel: "取消",
    required: "请填写{f}",
    take_photo: "拍照",
    queued: "已保存，联网后自动发送",
    sent: "{a}已提交",
    pending_badge: "待发送 {n}",
    outbox_title: "待发送 {n} 项",
    ob_pending: "等待网络",
    ob_sending: "正在发送…",
    ob_retry: "服务器繁忙，稍后重试",
    ob_rejected: "未被受理：{r}",
    ob_delete: "删除",
    offline: "离线",
    logout: "退出",
    login_failed: "登录失败",
    no_network: "网络不可用",
    offline_as_of: "离线，数据截至 {t}",
    status_pending: "待发送：{a}",
  },
  en: {
    app_title: "Field",
    login_title: "Staff sign-in",
    username: "Username",
    password: "Password",
    login: "Sign in",
    back: "‹ Back to tasks",
    sort_due: "By deadline",
    sort_distance: "By distance",
    tab_tasks: "My tasks",
    tab_verify: "Verification",
    tab_area: "My area",
    count: "{n} cases",
    empty_tasks: "No tasks",
    empty_verify: "Nothing to verify",
    empty_area: "No open cases in your area",
    where_unknown: "The phone's position is unknown: no sorting by distance",
    where_known: "Located: distances from the phone's position",
    left: "{t} left",
    overdue: "overdue by {t}",
    no_deadline: "no deadline",
    days: "{n} d",
    hours: "{n} h",
    minutes: "{n} min",
    km: "{n} km",
    m: "{n} m",
    due_at: "Deadline",
    address: "Address",
    matter: "Matter",
    description: "Citizen's description",
    citizen_photos: "Citizen's photos",
    before_photos: "Before",
    after_photos: "After",
    no_photos: "No photos",
    navigate: "Navigate",
    nav_geo: "Map app",
    nav_amap: "Amap",
    nav_baidu: "Baidu Maps",
    timeline: "History",
    read_only: "Area chiefs see cases here; handlers act on them",
    confirm: "{a}",
    cancel: "Cancel",
    required: "{f} is required",
    take_photo: "Camera",
    queued: "Saved; it is sent when the phone is online",
    sent: "{a}: done",
    pending_badge: "{n} unsent",
    outbox_title: "{n} unsent",
    ob_pending: "waiting for the network",
    ob_sending: "sending…",
    ob_retry: "server busy, trying again soon",
    ob_rejected: "refused: {r}",
    ob_delete: "Delete",
    offline: "Offline",
    logout: "Sign out",
    login_failed: "Sign-in failed",
    no_network: "No network",
    offline_as_of: "Offline, as of {t}",
    status_pending: "unsent: {a}",
  },
};

let current = localStorage.getItem("uo_lang") === "en" ? "en" : "zh";
const zhDefaults = {};

export const lang = () => current;

/** A word in the current language, with `{name}` filled from `vars`. */
export function t(key, vars) {
  let s = WORDS[current][key] || WORDS.zh[key] || zhDefaults[key] || key;
  Object.entries(vars || {}).forEach(([k, v]) => {
    s = s.replace(`{${k}}`, v);
  });
  return s;
}

/** The page's fixed words (elements with data-i18n) in the current language. */
export function translatePage() {
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    const key = el.dataset.i18n;
    if (!(key in zhDefaults)) zhDefaults[key] = el.textContent;
    el.textContent = current === "en" ? t(key) : zhDefaults[key];
  });
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
  document.querySelector("#lang").textContent = current === "en" ? "中文" : "EN";
}

export function setLang(value) {
  current = value === "en" ? "en" : "zh";
  localStorage.setItem("uo_lang", current);
  translatePage();
}

/** A time in Dongguan's clock, in the current language. */
export const fmt = (iso) =>
  iso
    ? new Date(iso).toLocaleString(current === "en" ? "en-GB" : "zh-CN", {
        timeZone: "Asia/Shanghai",
        hour12: false,
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      })
    : "—";
