/* The console's own words in Chinese (the default, also the template's text) and English, and
   the language switch. Status and action labels come from the workflow document; the roles'
   names are here because the server states roles by code. */

const WORDS = {
  zh: {
    roles: {
      admin: "系统管理员",
      intake_clerk: "受理员",
      shift_chief: "值班长",
      dispatcher: "派遣员",
      handler: "处置人员",
      area_chief: "片长",
      inspector: "监督员",
      unit_manager: "单位负责人",
      leader: "领导",
      reveal_phone: "可查看完整号码",
    },
    sources: {
      citizen: "市民随手拍",
      inspector: "监督员上报",
      hotline: "12345 热线",
      camera: "视频识别",
      api: "系统接入",
      open311: "Open311",
      staff: "工作人员",
      enterprise: "企业直通车",
    },
    all: "全部",
    views: "我的视图",
    by_matrix: "按责任矩阵",
    f_source: "来源",
    open: "未办结",
    by_stage: "按时限阶段",
    by_status: "按状态",
    live_on: "实时",
    live_off: "离线",
    triage_empty: "暂无待受理上报",
    no_cases: "没有符合条件的案件",
    total: "共 {n} 件",
    page: "第 {n} 页",
    picked: "已选 {n} 件",
    bulk_done: "已派遣 {ok} 件，失败 {bad} 件",
    unclassified: "未分类",
    no_description: "（无描述）",
    matter: "事项",
    place: "位置",
    grid: "网格",
    unit: "处置单位",
    due: "当前时限",
    reporters: "上报人",
    supporter: "（附议）",
    rating: "市民评价",
    dispute: "市民异议",
    photos_citizen: "市民上报照片",
    photos_before: "处置前",
    photos_after: "处置后",
    photos_dispute: "异议照片",
    photos_verify: "核查照片",
    timeline: "办理过程",
    overdue_by: "已超期 {t}",
    left: "剩余 {t}",
    no_deadline: "—",
    unknown_deadline: "（节假日安排未发布）",
    provisional: "（暂按工作日计算）",
    pending_ext: "待审批延期：{amount} {unit}，理由：{reason}",
    reveal: "显示完整号码",
    reveal_reason: "查看原因（将记录）",
    reveal_default: "回访核实",
    templates: "常用回复",
    insert: "插入",
    candidates: "附近可并案的案件（200 米内，同大类）",
    no_candidates: "附近没有可并案的案件",
    metres: "{m} 米",
    split: "拆分为新案件",
    split_done: "已拆分为新案件 {n}",
    suggestions: "分类建议",
    search_matter: "搜索事项名称、代码或关键词",
    view_name: "视图名称",
    view_saved: "视图已保存",
    map_points: "按当前筛选显示 {n} 件",
    map_fallback: "地图接口暂不可用，显示当前页的案件",
    counts_overdue: "超期",
    counts_due_soon: "即将到期",
    fill: "请填写：{f}",
    d: "天",
    h: "小时",
    m: "分",
    required: "请选择",
  },
  en: {
    roles: {
      admin: "Administrator",
      intake_clerk: "Intake clerk",
      shift_chief: "Shift chief",
      dispatcher: "Dispatcher",
      handler: "Handler",
      area_chief: "Area chief",
      inspector: "Inspector",
      unit_manager: "Unit manager",
      leader: "Leader",
      reveal_phone: "May reveal phones",
    },
    sources: {
      citizen: "Citizen app",
      inspector: "Inspector",
      hotline: "12345 hotline",
      camera: "Camera",
      api: "API",
      open311: "Open311",
      staff: "Staff",
      enterprise: "Enterprise line",
    },
    title: "UrbanOps command centre",
    logout: "Sign out",
    login_title: "Staff sign-in",
    username: "Username",
    password: "Password",
    login: "Sign in",
    triage: "Triage",
    triage_hint: "Reports that need a person arrive here live",
    f_status: "Status",
    f_town: "Town",
    f_unit: "Unit",
    f_matter: "Matter",
    matter_ph: "name or code",
    f_source: "Source",
    f_from: "Reported from",
    f_to: "to",
    f_number: "Number",
    number_ph: "case number",
    f_q: "Search",
    q_ph: "description, address",
    f_overdue: "Overdue only",
    f_provisional: "Provisional deadline",
    f_suspected: "Suspected out of remit",
    search: "Search",
    reset: "Reset",
    views: "My views",
    view_save: "Save view",
    view_drop: "Delete",
    tab_list: "List",
    tab_map: "Map",
    export: "Export",
    by_matrix: "By the matrix",
    bulk_dispatch: "Dispatch selected",
    c_number: "Number",
    c_status: "Status",
    c_matter: "Matter",
    c_town: "Town",
    c_reported: "Reported",
    c_due: "Deadline",
    prev: "Previous",
    next: "Next",
    heat: "Heat (h3 cells)",
    pick_case: "Pick a case to see it here",
    all: "All",
    open: "Open",
    by_stage: "By deadline stage",
    by_status: "By status",
    live_on: "Live",
    live_off: "Offline",
    triage_empty: "Nothing waiting",
    no_cases: "No case matches",
    total: "{n} cases",
    page: "page {n}",
    picked: "{n} selected",
    bulk_done: "{ok} dispatched, {bad} failed",
    unclassified: "Unclassified",
    no_description: "(no description)",
    matter: "Matter",
    place: "Place",
    grid: "grid",
    unit: "Unit",
    due: "Deadline",
    reporters: "Reporters",
    supporter: " (supporter)",
    rating: "Citizen's rating",
    dispute: "Citizen's dispute",
    photos_citizen: "Citizen's photos",
    photos_before: "Before",
    photos_after: "After",
    photos_dispute: "Dispute photos",
    photos_verify: "Verification photos",
    timeline: "Timeline",
    overdue_by: "overdue by {t}",
    left: "{t} left",
    no_deadline: "—",
    unknown_deadline: " (holiday schedule not published)",
    provisional: " (counted on weekdays)",
    pending_ext: "Extension pending: {amount} {unit}, because: {reason}",
    reveal: "Reveal the number",
    reveal_reason: "Why (logged)",
    reveal_default: "Call back",
    templates: "Reply templates",
    insert: "Insert",
    candidates: "Cases nearby to merge into (within 200 m, same class)",
    no_candidates: "No case nearby to merge into",
    metres: "{m} m",
    split: "Split into a new case",
    split_done: "Split into new case {n}",
    suggestions: "Suggestions",
    search_matter: "Search matters by name, code or keyword",
    view_name: "Name of the view",
    view_saved: "View saved",
    map_points: "{n} cases with these filters",
    map_fallback: "Map service unavailable: showing this page's cases",
    counts_overdue: "Overdue",
    counts_due_soon: "Due soon",
    fill: "Please fill in: {f}",
    d: "d",
    h: "h",
    m: "min",
    required: "Choose",
  },
};

let lang = localStorage.getItem("uo_lang") === "en" ? "en" : "zh";
const zhDefaults = new Map();
document.querySelectorAll("[data-i18n]").forEach((el) => {
  zhDefaults.set(el, el.textContent);
});

export const currentLang = () => lang;
export const acceptLanguage = () => (lang === "en" ? "en" : "zh-CN");

/** A word of the console in the page's language, with `{name}` filled from `vars`. */
export function t(key, vars) {
  let s = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
  for (const [name, value] of Object.entries(vars || {})) s = s.replace(`{${name}}`, value);
  return s;
}

export const roleLabel = (code) => WORDS[lang].roles[code] || code;
export const sourceLabel = (code) => WORDS[lang].sources[code] || code;
export const sources = () => Object.keys(WORDS.zh.sources);

/** Put the template's fixed words into the page's language. */
export function applyLang() {
  document.documentElement.lang = acceptLanguage();
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults.get(el);
  });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    if (!el.dataset.zhPlaceholder) el.dataset.zhPlaceholder = el.placeholder;
    el.placeholder = lang === "en" ? t(el.dataset.i18nPlaceholder) : el.dataset.zhPlaceholder;
  });
  document.getElementById("lang").textContent = lang === "en" ? "中文" : "EN";
}

/** Switch between zh and en; `redraw` draws what the page holds again. */
export function toggleLang(redraw) {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("uo_lang", lang);
  applyLang();
  redraw();
}
