/* What every admin page shares: its words in zh (the template's text) and en, the language
   switch, the admin sign-in (shared/staff_auth.js, as every staff page signs in) and
   calls to the API in the page's language. A page gives its words and what to do once an admin
   is signed in (`load`), when the page must be drawn again (`render`, after a language switch)
   and when the admin signs out (`reset`); `allow` names the roles the page is for (admins by
   default). */
import {
  api as staffApi,
  signIn,
  signOut,
  signedIn as staffSignedIn,
  useLanguage,
  whenSignedOut,
  whoAmI as fetchMe,
} from "../shared/staff_auth.js";

export const $ = (s) => document.querySelector(s);
export const $$ = (s) => Array.from(document.querySelectorAll(s));

// the words every admin page shares: the sections of the navigation, sign-in, role names
const COMMON = {
  en: {
    nav_home: "Administration",
    nav_users: "Users",
    nav_units: "Units",
    nav_matrix: "Responsibility",
    nav_limits: "Time limits",
    nav_calendar: "Holiday schedules",
    nav_stations: "Service stations",
    nav_channels: "Referral channels",
    nav_prizes: "Prizes",
    nav_figures: "Campaign figures",
    nav_keys: "API keys",
    nav_audit: "Audit trail",
    nav_console: "Command centre",
    logout: "Sign out",
    login_title: "Admin sign-in",
    username: "User name",
    password: "Password",
    login: "Sign in",
    not_admin: "This page is for admins only.",
    error: "Something went wrong",
    role_admin: "admin",
    role_intake_clerk: "intake clerk",
    role_shift_chief: "shift chief",
    role_dispatcher: "dispatcher",
    role_handler: "handler",
    role_area_chief: "area chief",
    role_inspector: "inspector",
    role_unit_manager: "unit manager",
    role_leader: "leader",
    role_reveal_phone: "may reveal phone numbers",
    role_rewards_clerk: "rewards clerk",
  },
  zh: {
    not_admin: "此页面仅限系统管理员使用。",
    error: "出错了",
    role_admin: "管理员",
    role_intake_clerk: "受理员",
    role_shift_chief: "值班长",
    role_dispatcher: "派遣员",
    role_handler: "处置人员",
    role_area_chief: "片长",
    role_inspector: "监督员",
    role_unit_manager: "单位管理员",
    role_leader: "领导",
    role_reveal_phone: "查看号码",
    role_rewards_clerk: "积分管理员",
  },
};

export function adminPage({ words: own, load, render, reset, allow = ["admin"] }) {
  const words = {
    en: { ...COMMON.en, ...own.en },
    zh: { ...COMMON.zh, ...own.zh },
  };
  const zhDefaults = {};
  $$("[data-i18n]").forEach((el) => {
    zhDefaults[el.dataset.i18n] = el.textContent;
  });
  $$("[data-i18n-placeholder]").forEach((el) => {
    zhDefaults[el.dataset.i18nPlaceholder] = el.placeholder;
  });
  let lang = localStorage.getItem("uo_lang") || "zh";
  let signedIn = false;

  const t = (k, vars) => {
    let s = (words[lang] && words[lang][k]) || words.zh[k] || zhDefaults[k] || k;
    Object.entries(vars || {}).forEach(([a, b]) => {
      s = s.replace(`{${a}}`, b);
    });
    return s;
  };
  const languageHeader = () => (lang === "en" ? "en" : "zh-CN");

  let whoAmI = null;
  function showWho() {
    if (!whoAmI) return;
    const roles = whoAmI.roles.map((r) => t(`role_${r}`)).join(lang === "en" ? ", " : "、");
    $("#who").textContent =
      lang === "en" ? `${whoAmI.name} (${roles})` : `${whoAmI.name}（${roles}）`;
  }

  function applyLang() {
    document.documentElement.lang = languageHeader();
    $$("[data-i18n]").forEach((el) => {
      el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults[el.dataset.i18n];
    });
    $$("[data-i18n-placeholder]").forEach((el) => {
      const k = el.dataset.i18nPlaceholder;
      el.placeholder = lang === "en" ? t(k) : zhDefaults[k];
    });
    $("#lang").textContent = lang === "en" ? "中文" : "EN";
    showWho();
    if (signedIn) render();
  }

  useLanguage(languageHeader);
  // a plain object is sent as JSON; FormData and strings as they are (shared/staff_auth.js)
  async function api(path, opts = {}) {
    return (await staffApi(path, opts)) ?? {};
  }

  // signed out (by the button, or the server no longer taking the token): the sign-in form
  function logout() {
    signedIn = false;
    reset();
    $("#work").hidden = true;
    $("#logout").hidden = true;
    $("#login").hidden = false;
    $("#who").textContent = "";
    whoAmI = null;
  }

  async function start() {
    let me;
    try {
      me = await fetchMe();
    } catch {
      return logout();
    }
    whoAmI = me;
    showWho();
    $("#login").hidden = true;
    $("#logout").hidden = false;
    if (!allow.some((r) => me.roles.includes(r))) {
      $("#login-err").textContent = t("not_admin");
      $("#login-err").hidden = false;
      $("#login").hidden = false;
      return;
    }
    await load();
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

  return {
    t,
    api,
    lang: () => lang,
    me: () => whoAmI,
    // call once the page's own handlers are in place
    begin() {
      applyLang();
      if (staffSignedIn()) start();
      else logout();
    },
  };
}

/** A timestamp as Beijing time, "2026-12-02 16:30". */
export function beijing(iso) {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(new Date(iso));
  const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${v.year}-${v.month}-${v.day} ${v.hour}:${v.minute}`;
}
