/* 全莞拍: the citizen app. Plain JavaScript over the /api/v1/citizen API.
   Drafts and reports that could not be sent are kept in IndexedDB (the outbox) and sent when online
   again; a report the server refuses stays in the outbox with the server's reason until the citizen
   edits and resends it, or deletes it. No inline script, no eval: it runs under `script-src 'self'`.
   Server and user text reaches the page through textContent, or escaped (`esc`); only this
   platform's /media/ URLs and https: URLs go into src/href (`safeUrl`). */
(() => {
  "use strict";
  const $ = (s) => document.querySelector(s);
  const $$ = (s) => Array.from(document.querySelectorAll(s));
  const app = $("#app");
  const DEMO = app.dataset.demo === "true";

  // ---- i18n -----------------------------------------------------------------------------------
  const T = {
    en: {
      app_title: "Snap Dongguan", offline: "Offline", login_title: "Snap it, fix it, together",
      login_sub: "Bind your phone to report city problems; valid reports earn points", phone: "Mobile number",
      code: "Code", send_code: "Get code", login: "Sign in", step_photo: "Photo", add_photo: "Camera / album",
      step_place: "Place", locate_me: "📍 Locate", tap_map: "Tap the map or drag the pin to the problem",
      step_what: "Problem", desc_ph: "Describe the problem, e.g. manhole cover missing on the pavement",
      suggested: "Suggested", submit: "Submit", draft_saved: "Draft saved", case_no: "Case no.",
      handled_by: "Handled by", due: "Due", follow: "Follow progress", report_more: "Report another",
      none_yet: "No reports yet: snap a problem around you", back: "‹ Back", photos: "Photos", before: "Before",
      after: "After", progress: "Progress", rate_title: "Happy with the result?", comment_ph: "Anything to add (optional)",
      send_rating: "Send rating", not_fixed: "Not fixed?", dispute_ph: "Tell us what is still wrong",
      reopen: "Not fixed: reopen it", nickname: "Nickname", home_town: "Home town", save: "Save", messages: "Messages",
      logout: "Sign out", tab_report: "Snap", tab_mine: "My reports", tab_stations: "Stations", tab_me: "Me",
      sent: "Sent", joined: "Joined an existing case", waiting: "Received, awaiting the command centre",
      need_place: "Mark the place on the map first", need_what: "Choose a category or describe the problem",
      need_photo: "Add at least one photo", sending: "Sending…", code_sent: "Code sent", resend: "Resend in {s}s",
      demo_code: "Demo mode: your code is {c}", queued: "No network: the report is saved and will be sent automatically",
      queued_busy: "The server cannot take it right now: the report is saved and will be sent automatically",
      located: "Location set", no_geo: "Location unavailable: tap the map",
      geo_https: "Locating needs an HTTPS connection: tap the map to mark the place",
      photo_place: "Using the photo's location", saved: "Saved", rated: "Rated {r}/5", thanks: "Thank you for your rating",
      reopened: "The case is reopened for rework", no_msgs: "No messages", open_hours: "Hours", demo: "demo",
      water: "Water", toilet: "Toilet", air_conditioning: "A/C", microwave: "Microwave", wifi: "Wi-Fi",
      charging: "Charging", first_aid: "First aid", supporter: "You also reported this", not_set: "not yet",
      error: "Something went wrong; please try again", no_network: "No network: please try again when online",
      editing: "Editing a report that was not accepted: fix what is marked, then tap Submit",
      edit_later: "Edit later",
      outbox_title: "Not sent yet ({n})", ob_pending: "Waiting for the network: it will be sent automatically",
      ob_retry: "The server is busy: it will be tried again automatically", ob_sending: "Sending…",
      ob_signin: "Sign in again to send it", ob_rejected: "Not submitted: {r}", ob_edit: "Edit", ob_resend: "Resend",
      ob_delete: "Delete", ob_confirm_delete: "Delete this report? It has not been submitted and will be lost.",
      ob_untitled: "Report", ob_saved_at: "saved {t}", ob_rejected_toast: "{n} report(s) were not accepted: see My reports",
      ob_sent_toast: "{n} saved report(s) sent", already_sent: "This report was already received",
      check: "Please check: {list}", fix_marked: "Please correct what is marked above, then submit again",
      rejected_status: "The server refused it (HTTP {s})", attempts_left: "{n} attempt(s) left",
      need_https: "Signed in, but this browser cannot keep the sign-in over plain http: open the app over HTTPS",
      cookie_lost: "Signed in, but this browser did not keep the sign-in: allow cookies for this site",
      need_code: "Enter the 6-digit code", need_phone: "Enter your mobile number", need_stars: "Choose 1 to 5 stars",
      need_reason: "Say what is still wrong", required: "Required", invalid: "Not valid",
      f_description: "Description", f_location: "Location", f_photo: "Photo", f_category: "Category",
      f_phone: "Mobile number", f_code: "Code", f_rating: "Rating", f_comment: "Comment", f_reason: "What is still wrong",
      f_nickname: "Nickname", f_home_town: "Home town", f_language: "Language", f_key: "Submission key",
      f_body: "The request", f_other: "Input", no_town: "Not chosen",
      ev_submit: "Reported", ev_accept: "Accepted", ev_register: "Registered", ev_dispatch: "Dispatched",
      ev_redispatch: "Re-dispatched", ev_start: "Work started", ev_return: "Returned for re-dispatch",
      ev_park: "On hold", ev_unpark: "Resumed", ev_submit_result: "Fixed, awaiting check",
      ev_verify: "Checked and closed", ev_rework: "Sent back for rework", ev_reopen: "Reopened",
      ev_merge: "Merged", ev_void: "Voided", ev_rate: "Rated", ev_support: "Another citizen reported it too",
      ev_approve_extension: "Deadline extended",
      st_reported: "Awaiting intake", st_accepted: "Accepted", st_registered: "Registered", st_dispatched: "Dispatched",
      st_in_progress: "In progress", st_returned: "Returned", st_parked: "On hold",
      st_awaiting_verification: "Awaiting check", st_closed: "Closed", st_reopened: "Reopened", st_merged: "Merged",
      st_void: "Voided",
    },
    zh: {
      sent: "上报成功", joined: "已并入附近的同类案件", waiting: "已收到，待指挥中心受理", need_place: "请先在地图上标出位置",
      need_what: "请选择问题类别或描述问题", need_photo: "请至少拍一张照片", sending: "正在提交…", code_sent: "验证码已发送",
      resend: "{s} 秒后重发", demo_code: "演示模式：验证码为 {c}", queued: "网络不可用：上报已保存，联网后自动提交",
      queued_busy: "服务器暂时无法受理：上报已保存，稍后自动提交",
      located: "已定位", no_geo: "无法获取定位，请点击地图标出位置",
      geo_https: "定位需要 HTTPS 连接，请点击地图标出位置",
      photo_place: "已使用照片中的位置", saved: "已保存", rated: "已评价 {r} 星", thanks: "感谢您的评价",
      reopened: "已重新打开案件，等待返工处置", no_msgs: "暂无消息", open_hours: "开放时间", demo: "演示",
      water: "饮水", toilet: "厕所", air_conditioning: "空调", microwave: "微波炉", wifi: "Wi-Fi", charging: "充电",
      first_aid: "急救药箱", supporter: "您也上报了此问题", not_set: "暂无", error: "出错了，请稍后重试",
      no_network: "网络不可用，请联网后重试",
      outbox_title: "待提交（{n}）", ob_pending: "等待联网，联网后自动提交",
      ob_retry: "服务器繁忙，稍后自动重试", ob_sending: "正在提交…", ob_signin: "请重新登录后提交",
      ob_rejected: "未提交：{r}", ob_edit: "修改", ob_resend: "重新提交", ob_delete: "删除",
      ob_confirm_delete: "删除这条上报？它还没有提交，删除后无法恢复。", ob_untitled: "上报",
      ob_saved_at: "保存于 {t}", ob_rejected_toast: "有 {n} 条上报未被受理，请到“我的上报”查看并修改",
      ob_sent_toast: "已提交 {n} 条保存的上报", already_sent: "这条上报已经提交过了",
      check: "请检查：{list}", fix_marked: "请按上面标出的提示修改后重新提交",
      rejected_status: "服务器未受理（HTTP {s}）", attempts_left: "还可尝试 {n} 次",
      need_https: "验证通过，但浏览器无法在普通 http 连接下保存登录状态：请通过 HTTPS 地址打开",
      cookie_lost: "验证通过，但浏览器没有保存登录状态：请允许本网站使用 Cookie",
      need_code: "请输入 6 位验证码", need_phone: "请输入手机号", need_stars: "请选择 1 到 5 星",
      need_reason: "请说明哪里没有解决", required: "请填写此项", invalid: "输入无效",
      f_description: "问题描述", f_location: "位置", f_photo: "照片", f_category: "问题类别", f_phone: "手机号",
      f_code: "验证码", f_rating: "评分", f_comment: "评价内容", f_reason: "未解决的说明", f_nickname: "昵称",
      f_home_town: "所在镇街", f_language: "语言", f_key: "提交编号", f_body: "提交的内容", f_other: "输入内容",
    },
  };
  const zhDefaults = {};
  $$("[data-i18n]").forEach((el) => { zhDefaults[el.dataset.i18n] = el.textContent; });
  $$("[data-i18n-placeholder]").forEach((el) => { zhDefaults[el.dataset.i18nPlaceholder] = el.placeholder; });
  let lang = localStorage.getItem("uo_lang") || "zh";
  const t = (k, vars) => {
    let s = (T[lang] && T[lang][k]) || T.zh[k] || zhDefaults[k] || k;
    Object.entries(vars || {}).forEach(([a, b]) => { s = s.replace(`{${a}}`, b); });
    return s;
  };
  function applyLang() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    $$("[data-i18n]").forEach((el) => { el.textContent = lang === "en" ? t(el.dataset.i18n) : zhDefaults[el.dataset.i18n]; });
    $$("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = lang === "en" ? t(el.dataset.i18nPlaceholder) : zhDefaults[el.dataset.i18nPlaceholder];
    });
    $("#lang").textContent = lang === "en" ? "中文" : "EN";
    document.cookie = `lang=${lang}; path=/; max-age=31536000; samesite=lax`;
    renderCats();
    renderOutbox();
  }
  $("#lang").addEventListener("click", () => { lang = lang === "en" ? "zh" : "en"; localStorage.setItem("uo_lang", lang); applyLang(); });

  // ---- helpers --------------------------------------------------------------------------------
  const fmt = (iso) => {
    if (!iso) return t("not_set");
    const d = new Date(iso);
    return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  };
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // only this platform's media and https: links may become an image source or a link
  const safeUrl = (u) => (typeof u === "string" && (/^\/media\/[A-Za-z0-9_.-]+$/.test(u) || /^https:\/\/[^\s"'<>\\]+$/i.test(u)) ? u : "");
  const thumbOf = (u) => (/^\/media\/[a-z0-9]+\.jpg$/.test(u) ? u.replace(/\.jpg$/, "_t.jpg") : u);
  const statusLabel = (c) => (lang === "en" && T.en[`st_${c.status}`]) || c.status_label;
  let toastTimer;
  function toast(msg) {
    const el = $("#toast"); el.textContent = msg; el.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }
  class ApiError extends Error { constructor(status, body) { super(body.detail || body.title || `HTTP ${status}`); this.status = status; this.body = body; } }
  async function api(path, opts = {}) {
    const headers = Object.assign({ "Accept-Language": lang === "en" ? "en" : "zh-CN" }, opts.headers || {});
    let body = opts.body;
    if (body && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    const r = await fetch(path, { method: opts.method || "GET", headers, body, credentials: "same-origin" });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, data && typeof data === "object" ? data : {});
    return data;
  }
  const isNetworkError = (e) => !(e instanceof ApiError);
  const errorText = (e) => (isNetworkError(e) ? t("no_network") : e.message);
  /* What to do with a failed send: "retry" (network, 408/425/429, 5xx: try again later), "auth"
     (signed out: keep it until signed in), "sent" (409: the idempotency key was already used, so
     the report is in), or "rejected" (any other 4xx: the citizen must change it). */
  function outcomeOf(e) {
    if (isNetworkError(e)) return "retry";
    const s = e.status;
    if (s === 401) return "auth";
    if (s === 409) return "sent";
    if (s === 408 || s === 425 || s === 429 || s >= 500) return "retry";
    return "rejected";
  }

  // ---- field errors: the server's problem+json, worded and shown next to the field ---------------
  // the app's own names for the server's field names (used when an error carries no `label`)
  const FIELD_KEYS = {
    description: "f_description", lat: "f_location", lon: "f_location", datum: "f_location", location: "f_location",
    address: "f_location", photo: "f_photo", photo_ids: "f_photo", category_code: "f_category", matter_code: "f_category",
    phone: "f_phone", code: "f_code", rating: "f_rating", comment: "f_comment", reason: "f_reason",
    nickname: "f_nickname", home_town_code: "f_home_town", language: "f_language", idempotency_key: "f_key", "": "f_body",
  };
  const fieldLabel = (field) => t(FIELD_KEYS[field] || "f_other");
  // per form: where each field's message goes, and which error codes concern which field
  const FORMS = {
    login: { general: "#login-error", slots: { phone: "#phone-error", code: "#code-error" },
      codes: { invalid_phone: "phone", otp_wrong: "code", otp_expired: "code", otp_locked: "code" } },
    report: { general: "#report-error", hint: true,
      slots: { photo: "#photo-error", photo_ids: "#photo-error", location: "#place-error", lat: "#place-error",
        lon: "#place-error", datum: "#place-error", address: "#place-error", description: "#desc-error",
        category_code: "#cat-error", matter_code: "#cat-error", what: "#cat-error" },
      codes: { outside_service_area: "location", invalid_datum: "location", invalid_coordinates: "location", unknown_photo: "photo_ids" } },
    rate: { general: "#rate-error", slots: { rating: "#stars-error", comment: "#comment-error" }, codes: {} },
    dispute: { general: "#dispute-error", slots: { reason: "#reason-error", photo: "#dispute-photo-error", photo_ids: "#dispute-photo-error" },
      codes: { missing_field: "reason", unknown_photo: "photo_ids" } },
    me: { general: "#me-error", slots: { nickname: "#nickname-error", home_town_code: "#town-error" },
      codes: { invalid_nickname: "nickname", unknown_town: "home_town_code" } },
  };
  /* A failed request as {status, code, summary, fields: [{field, message}]}, in the user's language.
     A 422 lists `errors` [{field, label?, message, message_en}]; a domain error may name its `field`
     or be known by its `code`. No raw field name ever reaches the summary. */
  function problemOf(e, form) {
    if (isNetworkError(e)) return { status: 0, code: "network", summary: t("no_network"), fields: [] };
    const b = e.body || {};
    const fields = [];
    const listed = Array.isArray(b.errors) ? b.errors.filter((x) => x && typeof x === "object") : [];
    listed.forEach((x) => {
      const field = String(x.field ?? "").split(".")[0];
      const message = String((lang === "en" ? x.message_en || x.message : x.message || x.message_en) || t("invalid"));
      const label = (lang === "en" ? x.label_en : x.label) || fieldLabel(field);
      fields.push({ field, label, message });
    });
    const codeField = form && FORMS[form].codes[b.code];
    if (!listed.length && (typeof b.field === "string" || codeField)) {
      const field = typeof b.field === "string" ? b.field : codeField;
      fields.push({ field, label: fieldLabel(field), message: b.detail || b.title || t("invalid") });
    }
    let summary;
    if (listed.length && !(listed.every((x) => x.label) && b.detail)) {
      const sep = lang === "en" ? "; " : "、";
      summary = t("check", { list: fields.map((f) => (lang === "en" ? `${f.label} (${f.message})` : `${f.label}（${f.message}）`)).join(sep) });
    } else summary = b.detail || b.title || t("rejected_status", { s: e.status });
    const p = { status: e.status, code: String(b.code || ""), summary, fields };
    if (typeof b.attempts_left === "number") p.attempts_left = b.attempts_left;
    return p;
  }
  const shown = {}; // form → {general, fields: Map(field → message), hint}
  const state = (form) => (shown[form] = shown[form] || { general: "", hint: false, fields: new Map() });
  function renderForm(form) {
    const def = FORMS[form], st = state(form);
    const bySlot = new Map(Object.values(def.slots).map((sel) => [sel, []]));
    st.fields.forEach((msg, field) => { const list = bySlot.get(def.slots[field]); if (list && !list.includes(msg)) list.push(msg); });
    bySlot.forEach((msgs, sel) => {
      const el = $(sel); if (!el) return;
      el.textContent = msgs.join(lang === "en" ? " " : "；"); el.hidden = !msgs.length;
      const control = el.dataset.for && document.getElementById(el.dataset.for);
      if (control) { if (msgs.length) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid"); }
    });
    if (st.hint && !st.fields.size) { st.general = ""; st.hint = false; }
    const g = $(def.general); g.textContent = st.general; g.hidden = !st.general;
  }
  function showProblem(form, p) {
    const def = FORMS[form], st = state(form);
    st.fields = new Map(); st.general = ""; st.hint = false;
    const loose = [];
    p.fields.forEach((f) => {
      let msg = f.message;
      if (f.field === "code" && p.attempts_left != null) msg = `${msg}（${t("attempts_left", { n: p.attempts_left })}）`;
      if (def.slots[f.field]) st.fields.set(f.field, msg); else loose.push(f);
    });
    if (loose.length || !st.fields.size) st.general = p.summary;
    else if (def.hint) { st.general = t("fix_marked"); st.hint = true; }
    renderForm(form);
    const first = Object.values(def.slots).map((s) => $(s)).find((el) => el && !el.hidden);
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
  }
  function fieldError(form, field, message) { state(form).fields.set(field, message); renderForm(form); }
  function generalError(form, message) { const st = state(form); st.general = message || ""; st.hint = false; renderForm(form); }
  function clearFields(form, ...fields) {
    const st = state(form); let changed = false;
    fields.forEach((f) => { changed = st.fields.delete(f) || changed; });
    if (changed || st.hint) renderForm(form);
  }
  function clearForm(form) { shown[form] = null; renderForm(form); }

  // ---- IndexedDB: draft and outbox ---------------------------------------------------------------
  const dbp = new Promise((resolve, reject) => {
    const req = indexedDB.open("urbanops-m", 1);
    req.onupgradeneeded = () => { req.result.createObjectStore("kv"); req.result.createObjectStore("outbox", { keyPath: "key" }); };
    req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error);
  });
  async function idb(store, mode, fn) {
    const db = await dbp;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode); const r = fn(tx.objectStore(store));
      tx.oncomplete = () => resolve(r && r.result); tx.onerror = () => reject(tx.error);
    });
  }
  const loadDraft = () => idb("kv", "readonly", (s) => s.get("draft"));
  const clearDraft = () => idb("kv", "readwrite", (s) => s.delete("draft"));
  const outboxAll = () => idb("outbox", "readonly", (s) => s.getAll())
    .then((items) => (items || []).sort((a, b) => String(a.created_at || "").localeCompare(String(b.created_at || ""))));
  const outboxGet = (key) => idb("outbox", "readonly", (s) => s.get(key));
  const outboxPut = (item) => idb("outbox", "readwrite", (s) => s.put(item));
  const outboxDelete = (key) => idb("outbox", "readwrite", (s) => s.delete(key));
  // photos keep their File/Blob while unsent; what is shown is an object URL made here, never a stored string
  const blobUrls = new WeakMap();
  function photoSrc(p) {
    if (p.blob instanceof Blob) {
      if (!blobUrls.has(p.blob)) blobUrls.set(p.blob, URL.createObjectURL(p.blob));
      return blobUrls.get(p.blob);
    }
    return safeUrl(p.thumb) || safeUrl(p.url);
  }
  function thumbImg(p) { const img = document.createElement("img"); img.alt = ""; const src = photoSrc(p); if (src) img.src = src; return img; }
  const storedPhotos = (list) => (list || []).map((p) => ({ id: p.id || null, url: p.url || null, thumb: p.thumb || null, blob: p.blob || null }));

  // ---- navigation --------------------------------------------------------------------------------
  let me = null;
  const views = ["login", "report", "result", "mine", "case", "stations", "me"];
  function go(name, push = true) {
    views.forEach((v) => { $(`#view-${v}`).hidden = v !== name; });
    $("#tabs").hidden = name === "login";
    $$("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.go === name || (name === "case" && b.dataset.go === "mine")));
    if (push) history.pushState({ view: name }, "", `#${name}`);
    window.scrollTo(0, 0);
    if (name === "report") setTimeout(() => reportMap && reportMap.invalidateSize(), 50);
    if (name === "mine") loadMine();
    if (name === "stations") loadStations();
    if (name === "me") loadMe();
  }
  document.addEventListener("click", (e) => { const b = e.target.closest("[data-go]"); if (b) go(b.dataset.go); });
  window.addEventListener("popstate", (e) => { if (me) go((e.state && e.state.view) || "report", false); });
  function signedOut() { me = null; editingKey = null; $("#editing").hidden = true; go("login"); }

  // ---- sign in -------------------------------------------------------------------------------------
  let countdown = 0;
  const phoneValue = () => $("#phone").value.replace(/[\s-]/g, "");
  $("#phone").addEventListener("input", () => { clearFields("login", "phone"); generalError("login", ""); });
  $("#code").addEventListener("input", () => { clearFields("login", "code"); generalError("login", ""); });
  $("#send-code").addEventListener("click", async () => {
    clearForm("login");
    if (!phoneValue()) return fieldError("login", "phone", t("need_phone"));
    const b = $("#send-code"); b.disabled = true;
    try {
      const r = await api("/api/v1/citizen/otp", { method: "POST", body: { phone: phoneValue() } });
      toast(t("code_sent"));
      if (r.demo_code) { $("#demo-code").textContent = t("demo_code", { c: r.demo_code }); $("#demo-code").hidden = false; }
      countdown = 60; tick(); $("#code").focus();
    } catch (e) { b.disabled = false; showProblem("login", problemOf(e, "login")); }
  });
  function tick() {
    const b = $("#send-code");
    if (countdown <= 0) { b.disabled = false; b.textContent = t("send_code"); return; }
    b.disabled = true; b.textContent = t("resend", { s: countdown }); countdown -= 1; setTimeout(tick, 1000);
  }
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault(); clearForm("login");
    if (!phoneValue()) return fieldError("login", "phone", t("need_phone"));
    if (!/^\d{4,8}$/.test($("#code").value.trim())) return fieldError("login", "code", t("need_code"));
    const btn = $("#login-btn"); btn.disabled = true;
    try {
      me = await api("/api/v1/citizen/session", { method: "POST", body: { phone: phoneValue(), code: $("#code").value.trim() } });
      // the session cookie is `Secure` in production: over plain http (not localhost) it is dropped
      try { await api("/api/v1/citizen/me"); } catch (err) {
        if (outcomeOf(err) === "auth") { me = null; return generalError("login", t(window.isSecureContext ? "cookie_lost" : "need_https")); }
      }
      if (me.language && me.language !== lang) { lang = me.language; localStorage.setItem("uo_lang", lang); applyLang(); }
      clearForm("login"); $("#code").value = "";
      start();
    } catch (err) { showProblem("login", problemOf(err, "login")); }
    finally { btn.disabled = false; }
  });

  // ---- report: photos ---------------------------------------------------------------------------
  let photos = []; // {id?, url?, thumb?, blob?}
  let pinnedByUser = false;
  function renderPhotos() {
    $$("#photos .photo").forEach((el) => el.remove());
    photos.forEach((p, i) => {
      const div = document.createElement("div"); div.className = "photo";
      const del = document.createElement("button"); del.type = "button"; del.textContent = "×";
      del.setAttribute("aria-label", lang === "en" ? "remove photo" : "删除照片");
      del.addEventListener("click", () => { photos.splice(i, 1); renderPhotos(); clearFields("report", "photo", "photo_ids"); saveDraft(); });
      div.append(thumbImg(p), del);
      $("#photos").insertBefore(div, $("#add-photo"));
    });
    $("#add-photo").hidden = photos.length >= 9;
  }
  async function uploadPhoto(file) {
    const fd = new FormData(); fd.append("photo", file, file.name || "photo.jpg");
    return api("/api/v1/citizen/photos", { method: "POST", body: fd });
  }
  $("#photo-input").addEventListener("change", async (e) => {
    clearFields("report", "photo", "photo_ids");
    for (const file of Array.from(e.target.files || [])) {
      if (photos.length >= 9) break;
      try {
        const r = await uploadPhoto(file);
        photos.push({ id: r.id, url: r.url, thumb: r.thumb_url, blob: null });
        if (r.gps && !pinnedByUser) { setPin(r.gps.lat, r.gps.lon); toast(t("photo_place")); }
      } catch (err) {
        const how = outcomeOf(err);
        if (how === "retry") photos.push({ id: null, url: null, thumb: null, blob: file }); // uploaded on submit
        else if (how === "auth") return signedOut();
        else fieldError("report", "photo", errorText(err));
      }
    }
    e.target.value = ""; renderPhotos(); saveDraft();
  });

  // ---- report: map ----------------------------------------------------------------------------------
  let reportMap = null, pin = null, towns = null;
  const DG = [23.02, 113.75];
  async function townsLayer() {
    if (!towns) towns = await api("/api/v1/towns.geojson");
    return L.geoJSON(towns, { style: { color: "#0b5cad", weight: 1, fillColor: "#0b5cad", fillOpacity: 0.04 },
      onEachFeature: (f, layer) => layer.bindTooltip(esc(f.properties.name), { sticky: true }) });
  }
  async function makeMap(el, zoom) {
    const m = L.map(el, { zoomControl: true, attributionControl: false }).setView(DG, zoom);
    if (app.dataset.tiles) L.tileLayer(app.dataset.tiles, { maxZoom: 19 }).addTo(m);
    try { (await townsLayer()).addTo(m); } catch (e) { /* offline without cache: plain map */ }
    return m;
  }
  // opts.user: the citizen moved the pin (clears the location's errors); opts.restore: a saved form
  function setPin(lat, lon, opts = {}) {
    const ll = L.latLng(lat, lon).wrap(); // a map scrolled past 180° still gives a real longitude
    lat = ll.lat; lon = ll.lng;
    if (opts.user) pinnedByUser = true;
    if (!opts.restore) clearFields("report", "location", "lat", "lon", "datum", "address");
    if (!pin) {
      pin = L.marker([lat, lon], { draggable: true }).addTo(reportMap);
      pin.on("dragend", () => { const p = pin.getLatLng(); setPin(p.lat, p.lng, { user: true }); });
    } else pin.setLatLng([lat, lon]);
    reportMap.setView([lat, lon], Math.max(reportMap.getZoom(), 15));
    $("#place").textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    describePlace(lat, lon);
    if (!opts.restore) saveDraft();
  }
  let placeSeq = 0;
  async function describePlace(lat, lon) {
    const seq = ++placeSeq;
    try {
      const r = await api(`/api/v1/locate?lat=${lat}&lon=${lon}`);
      if (seq === placeSeq) $("#place").textContent = `${r.town_name} · ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    } catch (e) {
      // the server will refuse this place too: say so now, next to the map
      if (seq === placeSeq && outcomeOf(e) === "rejected") fieldError("report", "location", e.message);
    }
  }
  function locateMe() {
    if (!window.isSecureContext) { toast(t("geo_https")); return; } // phones need HTTPS (localhost aside)
    if (!navigator.geolocation) { toast(t("no_geo")); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { setPin(p.coords.latitude, p.coords.longitude, { user: true }); toast(t("located")); },
      () => toast(t("no_geo")), { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
  }
  $("#locate-btn").addEventListener("click", locateMe);

  // ---- report: category and suggestions -------------------------------------------------------------
  let categories = [], category = null, matter = null, matterName = null;
  function renderCats() {
    const box = $("#cats"); if (!box) return;
    box.innerHTML = "";
    categories.forEach((c) => {
      const b = document.createElement("button"); b.type = "button"; b.className = "cat" + (category === c.code ? " on" : "");
      b.dataset.code = c.code;
      b.setAttribute("aria-pressed", String(category === c.code));
      const icon = document.createElement("i"); icon.textContent = c.icon || "";
      b.append(icon, document.createTextNode(lang === "en" ? c.name_en : c.name_zh));
      b.addEventListener("click", () => {
        category = category === c.code ? null : c.code; matter = null; matterName = null;
        clearFields("report", "category_code", "matter_code", "what");
        renderCats(); renderSuggest(lastSuggest); saveDraft();
      });
      box.appendChild(b);
    });
  }
  let lastSuggest = [], suggestTimer;
  function renderSuggest(list) {
    lastSuggest = list;
    $("#suggest").hidden = !list.length;
    $("#suggest-list").innerHTML = "";
    list.forEach((s) => {
      const b = document.createElement("button"); b.type = "button"; b.className = "chip" + (matter === s.matter_code ? " on" : "");
      b.textContent = `${s.matter_name} ${Math.round(s.confidence * 100)}%`;
      b.addEventListener("click", () => {
        matter = matter === s.matter_code ? null : s.matter_code; matterName = matter ? s.matter_name : null;
        clearFields("report", "category_code", "matter_code", "what");
        renderSuggest(lastSuggest); saveDraft();
      });
      $("#suggest-list").appendChild(b);
    });
  }
  $("#desc").addEventListener("input", () => {
    clearFields("report", "description", "what");
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async () => {
      saveDraft();
      const text = $("#desc").value.trim();
      if (text.length < 2) { renderSuggest([]); return; }
      const q = new URLSearchParams({ text, k: "3" }); if (category) q.set("category_code", category);
      try { renderSuggest(await api(`/api/v1/suggestions?${q}`)); } catch (e) { /* offline: no suggestions */ }
    }, 350);
  });

  // ---- report: the form, its draft, and the outbox item it may be editing ----------------------------
  let currentKey = null;
  let editingKey = null; // the key of the outbox item open in the form (a report the server refused)
  const newKey = () => {
    if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  };
  function draftData() {
    const p = pin ? pin.getLatLng() : null;
    return { description: $("#desc").value, category, matter, matterName, lat: p && p.lat, lon: p && p.lng,
      photos: storedPhotos(photos), key: currentKey };
  }
  // the form saves itself: into the outbox item while editing one, else into the draft
  let saveChain = Promise.resolve();
  function saveDraft() {
    const d = draftData(), key = editingKey;
    saveChain = saveChain.then(async () => {
      if (key) {
        const item = await outboxGet(key);
        if (item) await outboxPut(Object.assign(item, d, { key }));
      } else await idb("kv", "readwrite", (s) => s.put(d, "draft"));
      $("#draft-note").hidden = false;
    }).catch(() => {});
    return saveChain;
  }
  function resetReport() {
    clearTimeout(suggestTimer);
    photos = []; category = null; matter = null; matterName = null; currentKey = null; pinnedByUser = false; $("#desc").value = "";
    if (pin) { reportMap.removeLayer(pin); pin = null; }
    placeSeq += 1;
    $("#place").textContent = t("tap_map"); $("#draft-note").hidden = true;
    clearForm("report");
    renderPhotos(); renderCats(); renderSuggest([]);
  }
  function fillForm(d) {
    resetReport();
    $("#desc").value = d.description || ""; category = d.category || null; matter = d.matter || null;
    matterName = d.matterName || null; currentKey = d.key || null;
    photos = storedPhotos(d.photos);
    renderPhotos(); renderCats();
    if (d.lat != null && d.lon != null) { pinnedByUser = true; setPin(d.lat, d.lon, { restore: true }); }
  }
  async function restoreDraft() {
    const draft = await loadDraft().catch(() => null);
    if (draft) fillForm(draft); else resetReport();
  }
  // back from an outbox item to the draft; nothing may save the item's fields into the draft meanwhile
  async function stopEditing() {
    clearTimeout(suggestTimer);
    await saveChain;
    const draft = await loadDraft().catch(() => null);
    editingKey = null; $("#editing").hidden = true;
    if (draft) fillForm(draft); else resetReport();
  }
  $("#edit-later").addEventListener("click", async () => { await saveDraft(); await stopEditing(); renderOutbox(); });

  async function sendReport(item) {
    // upload photos taken offline first, then the report; the idempotency key makes retries safe
    for (const p of item.photos) {
      if (!p.id && p.blob) { const r = await uploadPhoto(p.blob); Object.assign(p, { id: r.id, url: r.url, thumb: r.thumb_url, blob: null }); }
    }
    return api("/api/v1/citizen/reports", { method: "POST", body: {
      lat: item.lat, lon: item.lon, datum: "wgs84", description: item.description, category_code: item.category || null,
      matter_code: item.matter || null, photo_ids: item.photos.filter((p) => p.id).map((p) => p.id), idempotency_key: item.key } });
  }
  $("#submit-btn").addEventListener("click", async () => {
    clearForm("report");
    const d = draftData();
    let missing = false;
    if (!photos.length) { fieldError("report", "photo", t("need_photo")); missing = true; }
    if (d.lat == null) { fieldError("report", "location", t("need_place")); missing = true; }
    if (!d.category && !d.matter && d.description.trim().length < 2) { fieldError("report", "what", t("need_what")); missing = true; }
    if (missing) { const first = $$("#view-report .field-error").find((el) => !el.hidden); if (first) first.scrollIntoView({ block: "center" }); return; }
    currentKey = currentKey || newKey(); d.key = currentKey;
    const editing = editingKey;
    const btn = $("#submit-btn"); btn.disabled = true; btn.textContent = t("sending");
    try {
      const r = await sendReport(d);
      photos = d.photos; // now with their server ids
      await finishReport(editing);
      showResult(r);
    } catch (e) {
      photos = d.photos;
      const how = outcomeOf(e);
      if (how === "sent") { await finishReport(editing); toast(t("already_sent")); go("mine"); }
      else if (how === "retry") {
        const prev = editing ? await outboxGet(editing) : null;
        await outboxPut(Object.assign({ created_at: new Date().toISOString() }, prev || {}, d,
          { key: d.key, state: isNetworkError(e) ? "pending" : "retry", failure: null, photos: storedPhotos(d.photos) }));
        await finishReport(editing); toast(t(isNetworkError(e) ? "queued" : "queued_busy")); go("mine"); scheduleRetry();
      } else if (how === "auth") { await saveDraft(); signedOut(); }
      else {
        const p = problemOf(e, "report");
        if (editing) { const item = await outboxGet(editing); if (item) await outboxPut(Object.assign(item, d, refusal(e))); }
        else saveDraft();
        showProblem("report", p);
      }
    } finally { btn.disabled = false; btn.textContent = t("submit"); }
  });
  // the form's report has gone (sent, or into the outbox): empty the form and what it saved into
  async function finishReport(editing) {
    if (editing) { await outboxDelete(editing); await stopEditing(); }
    else { await saveChain; await clearDraft(); resetReport(); }
  }
  function showResult(r) {
    $("#result-title").textContent = r.outcome === "joined" ? t("joined") : r.outcome === "triage" ? t("waiting") : t("sent");
    $("#result-number").textContent = r.case_number;
    $("#result-unit").textContent = r.unit_name || t("not_set");
    $("#result-due").textContent = fmt(r.due_at);
    $("#result-msg").textContent = r.message;
    go("result");
  }

  // ---- outbox: reports waiting for the network, and reports the server refused ----------------------
  let flushing = null, flushAgain = false, retryTimer = null, retryDelay = 0, waitingForSignIn = false;
  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryDelay = retryDelay ? Math.min(retryDelay * 2, 300000) : 5000; // 5 s, 10 s, … 5 min
    retryTimer = setTimeout(() => flushOutbox(), retryDelay * (0.8 + Math.random() * 0.4));
  }
  // one flush at a time; a request for another while one runs makes it run once more at the end
  function flushOutbox() {
    if (flushing) { flushAgain = true; return flushing; }
    flushing = (async () => {
      do { flushAgain = false; await doFlush().catch(() => {}); } while (flushAgain);
    })().finally(() => { flushing = null; });
    return flushing;
  }
  async function doFlush() {
    if (!me || !navigator.onLine) return;
    clearTimeout(retryTimer);
    const items = (await outboxAll().catch(() => [])).filter((i) => i.state !== "rejected" && i.key !== editingKey);
    let retry = false, sent = 0, rejected = 0;
    waitingForSignIn = false;
    for (const item of items) {
      item.photos = storedPhotos(item.photos);
      item.state = "sending"; renderOutboxItems(await outboxAll().catch(() => []), item.key);
      try { await sendReport(item); await outboxDelete(item.key); sent += 1; }
      catch (e) {
        const how = outcomeOf(e);
        if (how === "sent") { await outboxDelete(item.key); sent += 1; continue; }
        item.tries = (item.tries || 0) + 1;
        if (how === "rejected") {
          Object.assign(item, refusal(e));
          await outboxPut(item); rejected += 1; continue;
        }
        item.state = how === "auth" ? "signin" : isNetworkError(e) ? "pending" : "retry";
        await outboxPut(item); // keeps the ids of photos already uploaded
        if (how === "auth") { waitingForSignIn = true; break; }
        retry = true;
        if (isNetworkError(e)) break; // offline again: the rest would fail the same way
      }
    }
    if (retry) scheduleRetry(); else retryDelay = 0;
    await renderOutbox();
    if (rejected) toast(t("ob_rejected_toast", { n: rejected }));
    else if (sent) toast(t("ob_sent_toast", { n: sent }));
    if (sent && !$("#view-mine").hidden) loadMine();
    if (waitingForSignIn) signedOut();
  }
  // the server's answer is kept as it came, and worded when shown (field labels in the current language)
  const refusal = (e) => ({ state: "rejected", failure: { status: e.status, body: e.body || {} }, rejected_at: new Date().toISOString() });
  const storedProblem = (item) => problemOf(new ApiError((item.failure && item.failure.status) || 400, (item.failure && item.failure.body) || {}), "report");
  function outboxTitle(item) {
    const cat = categories.find((c) => c.code === item.category);
    const what = (item.description || "").trim() || item.matterName || (cat && (lang === "en" ? cat.name_en : cat.name_zh));
    return what || t("ob_untitled");
  }
  function outboxStatus(item) {
    if (item.state === "rejected") return t("ob_rejected", { r: storedProblem(item).summary });
    if (item.state === "sending") return t("ob_sending");
    if (item.state === "retry") return t("ob_retry");
    if (item.state === "signin") return t("ob_signin");
    return t("ob_pending");
  }
  function renderOutboxItems(items, sendingKey) {
    const box = $("#outbox"), ul = $("#outbox-list");
    box.hidden = !items.length;
    $("#outbox-title").textContent = t("outbox_title", { n: items.length });
    ul.replaceChildren(...items.map((item) => {
      const state = item.key === sendingKey ? "sending" : item.state || "pending";
      const li = document.createElement("li"); li.className = `ob ${state}`; li.dataset.key = item.key;
      const first = (item.photos || [])[0];
      if (first) li.append(thumbImg(first));
      const body = document.createElement("div"); body.className = "t";
      const title = document.createElement("b"); title.textContent = outboxTitle(item);
      const meta = document.createElement("small");
      meta.textContent = [item.lat != null ? `${Number(item.lat).toFixed(4)}, ${Number(item.lon).toFixed(4)}` : "",
        item.created_at ? t("ob_saved_at", { t: fmt(item.created_at) }) : ""].filter(Boolean).join(" · ");
      const status = document.createElement("p"); status.className = "ob-status";
      status.textContent = outboxStatus(Object.assign({}, item, { state }));
      body.append(title, meta, status);
      const acts = document.createElement("div"); acts.className = "ob-actions";
      const button = (act, label, cls) => { const b = document.createElement("button"); b.type = "button"; b.className = `btn ${cls}`; b.dataset.act = act; b.textContent = label; return b; };
      if (state === "rejected") acts.append(button("edit", t("ob_edit"), "primary"), button("resend", t("ob_resend"), "secondary"));
      if (state !== "sending") acts.append(button("delete", t("ob_delete"), "plain"));
      body.append(acts);
      li.append(body);
      return li;
    }));
    const anyRejected = items.some((i) => i.state === "rejected");
    $("#mine-dot").hidden = !anyRejected;
    if (items.length) $("#mine-empty").hidden = true;
  }
  async function renderOutbox() { renderOutboxItems(await outboxAll().catch(() => [])); }
  $("#outbox-list").addEventListener("click", async (e) => {
    const b = e.target.closest("[data-act]"); if (!b) return;
    const key = b.closest("li[data-key]").dataset.key;
    const item = await outboxGet(key); if (!item) return renderOutbox();
    if (b.dataset.act === "edit") await editOutboxItem(item);
    else if (b.dataset.act === "resend") { await outboxPut(Object.assign(item, { state: "pending", failure: null })); retryDelay = 0; await flushOutbox(); }
    else if (b.dataset.act === "delete" && window.confirm(t("ob_confirm_delete"))) {
      if (editingKey === key) await stopEditing();
      await outboxDelete(key); renderOutbox();
    }
  });
  // open a refused report in the form: its photos, pin, category and text, with the server's reasons
  async function editOutboxItem(item) {
    await saveDraft(); // what the form holds stays where it belongs (the draft, or the item open before)
    editingKey = item.key;
    go("report");
    fillForm(item);
    $("#editing").hidden = false;
    if (item.state === "rejected") showProblem("report", storedProblem(item));
  }
  function online() {
    $("#net").hidden = navigator.onLine;
    if (navigator.onLine && me) { retryDelay = 0; flushOutbox(); }
  }
  window.addEventListener("online", online); window.addEventListener("offline", online);

  // ---- my reports and case detail -----------------------------------------------------------------------
  async function loadMine() {
    renderOutbox();
    try {
      const list = await api("/api/v1/citizen/reports");
      const outboxShown = !$("#outbox").hidden;
      $("#mine-empty").hidden = list.length > 0 || outboxShown;
      $("#mine-list").innerHTML = list.map((c) => {
        const thumb = safeUrl(c.thumb_url);
        return `<li data-case="${esc(c.case_id)}">
        ${thumb ? `<img alt="" src="${esc(thumb)}">` : ""}
        <div class="t"><b>${esc(c.matter_name || c.number)}</b><small>${esc(c.number)} · ${esc(fmt(c.reported_at))}${c.supporter ? " · " + esc(t("supporter")) : ""}</small></div>
        <span class="status ${esc(c.status)}">${esc(statusLabel(c))}</span></li>`;
      }).join("");
    } catch (e) { if (outcomeOf(e) === "auth") signedOut(); else if (!isNetworkError(e)) toast(e.message); }
  }
  $("#mine-list").addEventListener("click", (e) => { const li = e.target.closest("li[data-case]"); if (li) openCase(li.dataset.case); });
  let openCaseId = null, stars = 0, disputePhotos = [];
  async function openCase(id) {
    openCaseId = id; $("#case-error").hidden = true;
    try { renderCase(await api(`/api/v1/citizen/cases/${encodeURIComponent(id)}`)); go("case"); } catch (e) { toast(errorText(e)); }
  }
  function imgs(list) {
    return (list || []).map(safeUrl).filter(Boolean)
      .map((u) => `<a href="${esc(u)}" target="_blank" rel="noopener noreferrer"><img alt="" src="${esc(thumbOf(u))}"></a>`).join("");
  }
  function renderCase(c) {
    $("#case-number").textContent = c.number;
    $("#case-status").textContent = statusLabel(c); $("#case-status").className = `status ${c.status}`;
    $("#case-matter").textContent = [c.matter_name, c.town_name].filter(Boolean).join(" · ");
    $("#case-desc").textContent = c.description;
    $("#case-unit").textContent = c.unit_name || t("not_set");
    $("#case-due").textContent = fmt(c.due_at);
    $("#case-before").innerHTML = imgs(c.before_photos); $("#case-after").innerHTML = imgs(c.after_photos);
    $("#case-timeline").innerHTML = c.timeline.map((e) => `<li><time>${esc(fmt(e.at))}</time><b>${esc(lang === "en" ? (T.en["ev_" + e.action] || e.label) : e.label)}</b>
      ${e.note ? `<div>${esc(e.note)}</div>` : ""}${e.photos.length ? `<div class="photos">${imgs(e.photos)}</div>` : ""}</li>`).join("");
    $("#rate-box").hidden = !c.can_rate;
    $("#rated").hidden = c.rating == null;
    $("#rated").textContent = c.rating != null ? `${t("rated", { r: c.rating })}${c.rating_comment ? "：" + c.rating_comment : ""}` : "";
    $("#dispute-box").hidden = !c.can_dispute;
    stars = 0; renderStars(); disputePhotos = []; $("#dispute-photos").replaceChildren();
    clearForm("rate"); clearForm("dispute");
  }
  function renderStars() {
    $("#stars").innerHTML = [1, 2, 3, 4, 5].map((i) => `<button type="button" role="radio" aria-checked="${i === stars}" aria-label="${i}" data-star="${i}" class="${i <= stars ? "on" : ""}">★</button>`).join("");
  }
  $("#stars").addEventListener("click", (e) => { const b = e.target.closest("[data-star]"); if (b) { stars = +b.dataset.star; renderStars(); clearFields("rate", "rating"); } });
  $("#rate-comment").addEventListener("input", () => clearFields("rate", "comment"));
  $("#rate-btn").addEventListener("click", async () => {
    clearForm("rate");
    if (!stars) return fieldError("rate", "rating", t("need_stars"));
    try { renderCase(await api(`/api/v1/citizen/cases/${encodeURIComponent(openCaseId)}/rate`, { method: "POST", body: { rating: stars, comment: $("#rate-comment").value } })); toast(t("thanks")); }
    catch (e) { if (outcomeOf(e) === "auth") signedOut(); else showProblem("rate", problemOf(e, "rate")); }
  });
  $("#dispute-reason").addEventListener("input", () => clearFields("dispute", "reason"));
  $("#dispute-photo").addEventListener("change", async (e) => {
    const f = e.target.files && e.target.files[0]; if (!f) return;
    clearFields("dispute", "photo", "photo_ids");
    try {
      const r = await uploadPhoto(f); disputePhotos.push(r.id);
      $("#dispute-photos").append(thumbImg({ thumb: r.thumb_url, url: r.url }));
    } catch (err) { if (outcomeOf(err) === "auth") signedOut(); else if (isNetworkError(err)) generalError("dispute", t("no_network")); else fieldError("dispute", "photo", err.message); }
    e.target.value = "";
  });
  $("#dispute-btn").addEventListener("click", async () => {
    clearForm("dispute");
    try { renderCase(await api(`/api/v1/citizen/cases/${encodeURIComponent(openCaseId)}/dispute`, { method: "POST", body: { reason: $("#dispute-reason").value, photo_ids: disputePhotos } })); toast(t("reopened")); $("#dispute-reason").value = ""; }
    catch (e) {
      if (outcomeOf(e) === "auth") return signedOut();
      const p = problemOf(e, "dispute");
      // an empty box is "say what is wrong", not the server's generic "too short"
      if (!$("#dispute-reason").value.trim()) p.fields.forEach((f) => { if (f.field === "reason") f.message = t("need_reason"); });
      showProblem("dispute", p);
    }
  });

  // ---- stations --------------------------------------------------------------------------------------
  let stationMap = null, stationsShown = false;
  async function loadStations() {
    if (!stationMap) stationMap = await makeMap("station-map", 10);
    setTimeout(() => stationMap.invalidateSize(), 50);
    try {
      const list = await api("/api/v1/citizen/stations");
      if (!stationsShown) list.forEach((s) => L.marker([s.lat, s.lon]).addTo(stationMap).bindPopup(`<b>${esc(s.name)}</b><br>${esc(s.opening_hours)}`));
      stationsShown = true;
      $("#station-list").innerHTML = list.map((s) => `<li><div class="t"><b>${esc(s.name)}${s.is_demo ? `<span class="badge">${esc(t("demo"))}</span>` : ""}</b>
        <small>${esc(s.address)} · ${esc(t("open_hours"))} ${esc(s.opening_hours)}</small>
        <div class="amen">${s.amenities.map((a) => `<span>${esc(t(a))}</span>`).join("")}</div></div></li>`).join("");
    } catch (e) { if (!isNetworkError(e)) toast(e.message); }
  }

  // ---- me -------------------------------------------------------------------------------------------
  async function loadMe() {
    $("#me-phone").textContent = me.phone_masked;
    $("#nickname").value = me.nickname;
    clearForm("me"); $("#me-msg").hidden = true;
    const sel = $("#home-town");
    if (sel.options.length <= 1) {
      const list = await api("/api/v1/towns").catch(() => []);
      list.forEach((tw) => sel.add(new Option(tw.name, tw.code)));
    }
    sel.value = me.home_town_code || "";
    try {
      const inbox = await api("/api/v1/citizen/notifications");
      $("#inbox").innerHTML = inbox.length ? inbox.map((n) => `<li><b>${esc(n.title)}</b><div class="muted">${esc(n.body)} · ${esc(fmt(n.created_at))}</div></li>`).join("") : `<li class="muted">${esc(t("no_msgs"))}</li>`;
      if (inbox.some((n) => !n.read)) api("/api/v1/citizen/notifications/read", { method: "POST" }).catch(() => {});
    } catch (e) { /* offline */ }
  }
  $("#nickname").addEventListener("input", () => { clearFields("me", "nickname"); $("#me-msg").hidden = true; });
  $("#home-town").addEventListener("change", () => { clearFields("me", "home_town_code"); $("#me-msg").hidden = true; });
  $("#save-me").addEventListener("click", async () => {
    clearForm("me"); $("#me-msg").hidden = true;
    try {
      me = await api("/api/v1/citizen/me", { method: "PATCH", body: { nickname: $("#nickname").value, home_town_code: $("#home-town").value, language: lang } });
      $("#me-msg").textContent = t("saved"); $("#me-msg").hidden = false;
    } catch (e) { if (outcomeOf(e) === "auth") signedOut(); else showProblem("me", problemOf(e, "me")); }
  });
  $("#logout").addEventListener("click", async () => { await api("/api/v1/citizen/session", { method: "DELETE" }).catch(() => {}); signedOut(); });

  // ---- start ---------------------------------------------------------------------------------------
  async function start() {
    go(location.hash.slice(1) === "mine" ? "mine" : "report", false);
    if (!reportMap) {
      reportMap = await makeMap("map", 11);
      reportMap.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng, { user: true }));
    }
    editingKey = null; $("#editing").hidden = true;
    await restoreDraft();
    renderOutbox();
    online();
  }
  async function boot() {
    applyLang();
    try { categories = await api("/api/v1/categories"); renderCats(); } catch (e) { /* offline */ }
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
    try { me = await api("/api/v1/citizen/me"); } catch (e) { me = null; }
    if (me) start(); else go("login", false);
    if (DEMO) $("#phone").placeholder = "13800138000";
  }
  boot();
})();
