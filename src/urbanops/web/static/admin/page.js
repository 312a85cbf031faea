/* What every admin page shares: its words in zh (the template's text) and en, the language
   switch, the admin sign-in (the bearer token kept in sessionStorage like the console's) and
   calls to the API in the page's language. A page gives its words and what to do once an admin
   is signed in (`load`), when the page must be drawn again (`render`, after a language switch)
   and when the admin signs out (`reset`). */

export const $ = (s) => document.querySelector(s);
export const $$ = (s) => Array.from(document.querySelectorAll(s));

export function adminPage({ words, load, render, reset }) {
  const zhDefaults = {};
  $$("[data-i18n]").forEach((el) => {
    zhDefaults[el.dataset.i18n] = el.textContent;
  });
  let lang = localStorage.getItem("uo_lang") || "zh";
  let token = sessionStorage.getItem("uo_token");
  let signedIn = false;

  const t = (k, vars) => {
    let s = (words[lang] && words[lang][k]) || words.zh[k] || zhDefaults[k] || k;
    Object.entries(vars || {}).forEach(([a, b]) => {
      s = s.replace(`{${a}}`, b);
    });
    return s;
  };
  const languageHeader = () => (lang === "en" ? "en" : "zh-CN");

  function applyLang() {
    document.documentElement.lang = languageHeader();
    $$("[data-i18n]").forEach((el) => {
      el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults[el.dataset.i18n];
    });
    $("#lang").textContent = lang === "en" ? "中文" : "EN";
    if (signedIn) render();
  }

  // a plain object is sent as JSON; FormData and strings as they are
  async function api(path, opts = {}) {
    const headers = { Authorization: `Bearer ${token}`, "Accept-Language": languageHeader() };
    let body = opts.body;
    if (body && !(body instanceof FormData) && typeof body !== "string") {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const r = await fetch(path, { method: opts.method || "GET", headers, body });
    const data = await r.json().catch(() => ({}));
    if (r.status === 401) {
      logout();
      throw new Error(data.detail || t("error"));
    }
    if (!r.ok) throw new Error(data.detail || data.title || `HTTP ${r.status}`);
    return data;
  }

  function logout() {
    token = null;
    signedIn = false;
    reset();
    sessionStorage.removeItem("uo_token");
    $("#work").hidden = true;
    $("#logout").hidden = true;
    $("#login").hidden = false;
    $("#who").textContent = "";
  }

  async function start() {
    let me;
    try {
      me = await api("/api/v1/me");
    } catch {
      return logout();
    }
    $("#who").textContent = `${me.name}（${me.roles.join("、")}）`;
    $("#login").hidden = true;
    $("#logout").hidden = false;
    if (!me.roles.includes("admin")) {
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
  $("#logout").addEventListener("click", logout);
  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/api/v1/auth/token", {
      method: "POST",
      headers: { "Accept-Language": languageHeader() },
      body: new URLSearchParams({ username: $("#u").value, password: $("#p").value }),
    });
    const d = await r.json().catch(() => ({}));
    if (!r.ok) {
      $("#login-err").textContent = d.detail || t("error");
      $("#login-err").hidden = false;
      return;
    }
    $("#login-err").hidden = true;
    token = d.access_token;
    sessionStorage.setItem("uo_token", token);
    start();
  });

  return {
    t,
    api,
    lang: () => lang,
    // call once the page's own handlers are in place
    begin() {
      applyLang();
      if (token) start();
      else logout();
    },
  };
}
