/* 全莞拍: the citizen app. Plain JavaScript over the /api/v1/citizen API.
   Drafts and reports that could not be sent are kept in IndexedDB and sent when online again. */
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
      outbox: "{n} report(s) waiting for the network", located: "Location set", no_geo: "Location unavailable: tap the map",
      photo_place: "Using the photo's location", saved: "Saved", rated: "Rated {r}/5", thanks: "Thank you for your rating",
      reopened: "The case is reopened for rework", no_msgs: "No messages", open_hours: "Hours", demo: "demo",
      water: "Water", toilet: "Toilet", air_conditioning: "A/C", microwave: "Microwave", wifi: "Wi-Fi",
      charging: "Charging", first_aid: "First aid", supporter: "You also reported this", not_set: "not yet",
      error: "Something went wrong; please try again",
      ev_submit: "Reported", ev_accept: "Accepted", ev_register: "Registered", ev_dispatch: "Dispatched",
      ev_redispatch: "Re-dispatched", ev_start: "Work started", ev_return: "Returned for re-dispatch",
      ev_park: "On hold", ev_unpark: "Resumed", ev_submit_result: "Fixed, awaiting check",
      ev_verify: "Checked and closed", ev_rework: "Sent back for rework", ev_reopen: "Reopened",
      ev_merge: "Merged", ev_void: "Voided", ev_rate: "Rated", ev_support: "Another citizen reported it too",
      ev_approve_extension: "Deadline extended",
    },
    zh: {
      sent: "上报成功", joined: "已并入附近的同类案件", waiting: "已收到，待指挥中心受理", need_place: "请先在地图上标出位置",
      need_what: "请选择问题类别或描述问题", need_photo: "请至少拍一张照片", sending: "正在提交…", code_sent: "验证码已发送",
      resend: "{s} 秒后重发", demo_code: "演示模式：验证码为 {c}", queued: "网络不可用：上报已保存，联网后自动提交",
      outbox: "有 {n} 条上报等待联网提交", located: "已定位", no_geo: "无法获取定位，请点击地图标出位置",
      photo_place: "已使用照片中的位置", saved: "已保存", rated: "已评价 {r} 星", thanks: "感谢您的评价",
      reopened: "已重新打开案件，等待返工处置", no_msgs: "暂无消息", open_hours: "开放时间", demo: "演示",
      water: "饮水", toilet: "厕所", air_conditioning: "空调", microwave: "微波炉", wifi: "Wi-Fi", charging: "充电",
      first_aid: "急救药箱", supporter: "您也上报了此问题", not_set: "暂无", error: "出错了，请稍后重试",
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
  }
  $("#lang").addEventListener("click", () => { lang = lang === "en" ? "zh" : "en"; localStorage.setItem("uo_lang", lang); applyLang(); });

  // ---- helpers --------------------------------------------------------------------------------
  const fmt = (iso) => {
    if (!iso) return t("not_set");
    const d = new Date(iso);
    return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  };
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  let toastTimer;
  function toast(msg) {
    const el = $("#toast"); el.textContent = msg; el.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.hidden = true; }, 3000);
  }
  function showError(sel, msg) { const el = $(sel); el.textContent = msg || ""; el.hidden = !msg; }
  class ApiError extends Error { constructor(status, body) { super(body.detail || body.title || "error"); this.status = status; this.body = body; } }
  async function api(path, opts = {}) {
    const headers = Object.assign({ "Accept-Language": lang === "en" ? "en" : "zh-CN" }, opts.headers || {});
    let body = opts.body;
    if (body && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    const r = await fetch(path, { method: opts.method || "GET", headers, body, credentials: "same-origin" });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  }
  const isNetworkError = (e) => !(e instanceof ApiError);

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
  const saveDraft = () => idb("kv", "readwrite", (s) => s.put(draftData(), "draft")).then(() => { $("#draft-note").hidden = false; });
  const loadDraft = () => idb("kv", "readonly", (s) => s.get("draft"));
  const clearDraft = () => idb("kv", "readwrite", (s) => s.delete("draft"));
  const outboxAll = () => idb("outbox", "readonly", (s) => s.getAll());

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

  // ---- sign in -------------------------------------------------------------------------------------
  let countdown = 0;
  $("#send-code").addEventListener("click", async () => {
    showError("#login-error", "");
    try {
      const r = await api("/api/v1/citizen/otp", { method: "POST", body: { phone: $("#phone").value } });
      toast(t("code_sent"));
      if (r.demo_code) { $("#demo-code").textContent = t("demo_code", { c: r.demo_code }); $("#demo-code").hidden = false; }
      countdown = 60; tick();
    } catch (e) { showError("#login-error", isNetworkError(e) ? t("error") : e.message); }
  });
  function tick() {
    const b = $("#send-code");
    if (countdown <= 0) { b.disabled = false; b.textContent = t("send_code"); return; }
    b.disabled = true; b.textContent = t("resend", { s: countdown }); countdown -= 1; setTimeout(tick, 1000);
  }
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault(); showError("#login-error", "");
    try {
      me = await api("/api/v1/citizen/session", { method: "POST", body: { phone: $("#phone").value, code: $("#code").value } });
      if (me.language && me.language !== lang) { lang = me.language; localStorage.setItem("uo_lang", lang); applyLang(); }
      start();
    } catch (err) { showError("#login-error", isNetworkError(err) ? t("error") : err.message); }
  });

  // ---- report: photos ---------------------------------------------------------------------------
  let photos = []; // {id?, url, thumb, blob?}
  let pinnedByUser = false;
  function renderPhotos() {
    $$("#photos .photo").forEach((el) => el.remove());
    photos.forEach((p, i) => {
      const div = document.createElement("div"); div.className = "photo";
      div.innerHTML = `<img alt="" src="${esc(p.thumb)}"><button type="button" aria-label="remove">×</button>`;
      div.querySelector("button").addEventListener("click", () => { photos.splice(i, 1); renderPhotos(); saveDraft(); });
      $("#photos").insertBefore(div, $("#add-photo"));
    });
    $("#add-photo").hidden = photos.length >= 9;
  }
  async function uploadPhoto(file) {
    const fd = new FormData(); fd.append("photo", file, file.name || "photo.jpg");
    return api("/api/v1/citizen/photos", { method: "POST", body: fd });
  }
  $("#photo-input").addEventListener("change", async (e) => {
    showError("#photo-error", "");
    for (const file of Array.from(e.target.files || [])) {
      try {
        const r = await uploadPhoto(file);
        photos.push({ id: r.id, url: r.url, thumb: r.thumb_url });
        if (r.gps && !pinnedByUser) { setPin(r.gps.lat, r.gps.lon); toast(t("photo_place")); }
      } catch (err) {
        if (isNetworkError(err)) { photos.push({ blob: file, thumb: URL.createObjectURL(file) }); }
        else showError("#photo-error", err.message);
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
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }) });
  }
  async function makeMap(el, zoom) {
    const m = L.map(el, { zoomControl: true, attributionControl: false }).setView(DG, zoom);
    if (app.dataset.tiles) L.tileLayer(app.dataset.tiles, { maxZoom: 19 }).addTo(m);
    try { (await townsLayer()).addTo(m); } catch (e) { /* offline without cache: plain map */ }
    return m;
  }
  function setPin(lat, lon, fromUser) {
    if (fromUser) pinnedByUser = true;
    if (!pin) {
      pin = L.marker([lat, lon], { draggable: true }).addTo(reportMap);
      pin.on("dragend", () => { pinnedByUser = true; const p = pin.getLatLng(); setPin(p.lat, p.lng, true); });
    } else pin.setLatLng([lat, lon]);
    reportMap.setView([lat, lon], Math.max(reportMap.getZoom(), 15));
    $("#place").textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    describePlace(lat, lon); saveDraft();
  }
  async function describePlace(lat, lon) {
    try {
      const r = await api(`/api/v1/locate?lat=${lat}&lon=${lon}`);
      $("#place").textContent = `${r.town_name} · ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    } catch (e) { if (!isNetworkError(e)) $("#place").textContent = e.message; }
  }
  function locateMe() {
    if (!navigator.geolocation) { toast(t("no_geo")); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { setPin(p.coords.latitude, p.coords.longitude, true); toast(t("located")); },
      () => toast(t("no_geo")), { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  }
  $("#locate-btn").addEventListener("click", locateMe);

  // ---- report: category and suggestions -------------------------------------------------------------
  let categories = [], category = null, matter = null;
  function renderCats() {
    const box = $("#cats"); if (!box) return;
    box.innerHTML = "";
    categories.forEach((c) => {
      const b = document.createElement("button"); b.type = "button"; b.className = "cat" + (category === c.code ? " on" : "");
      b.dataset.code = c.code;
      b.innerHTML = `<i>${esc(c.icon)}</i>${esc(lang === "en" ? c.name_en : c.name_zh)}`;
      b.addEventListener("click", () => { category = category === c.code ? null : c.code; matter = null; renderCats(); renderSuggest(lastSuggest); saveDraft(); });
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
      b.addEventListener("click", () => { matter = matter === s.matter_code ? null : s.matter_code; renderSuggest(lastSuggest); saveDraft(); });
      $("#suggest-list").appendChild(b);
    });
  }
  $("#desc").addEventListener("input", () => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async () => {
      saveDraft();
      const text = $("#desc").value.trim();
      if (text.length < 2) { renderSuggest([]); return; }
      const q = new URLSearchParams({ text, k: "3" }); if (category) q.set("category_code", category);
      try { renderSuggest(await api(`/api/v1/suggestions?${q}`)); } catch (e) { /* offline: no suggestions */ }
    }, 350);
  });

  // ---- report: submit, draft, outbox ----------------------------------------------------------------
  function draftData() {
    const p = pin ? pin.getLatLng() : null;
    return { description: $("#desc").value, category, matter, lat: p && p.lat, lon: p && p.lng, photos,
      key: currentKey };
  }
  let currentKey = null;
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
  async function sendReport(item) {
    // upload photos taken offline first, then the report; the idempotency key makes retries safe
    for (const p of item.photos) {
      if (!p.id && p.blob) { const r = await uploadPhoto(p.blob); Object.assign(p, { id: r.id, url: r.url, thumb: r.thumb_url, blob: null }); }
    }
    return api("/api/v1/citizen/reports", { method: "POST", body: {
      lat: item.lat, lon: item.lon, datum: "wgs84", description: item.description, category_code: item.category || null,
      matter_code: item.matter || null, photo_ids: item.photos.map((p) => p.id), idempotency_key: item.key } });
  }
  $("#submit-btn").addEventListener("click", async () => {
    showError("#report-error", "");
    const d = draftData();
    if (!photos.length) return showError("#report-error", t("need_photo"));
    if (d.lat == null) return showError("#report-error", t("need_place"));
    if (!d.category && !d.matter && d.description.trim().length < 2) return showError("#report-error", t("need_what"));
    currentKey = currentKey || newKey(); d.key = currentKey;
    const btn = $("#submit-btn"); btn.disabled = true; btn.textContent = t("sending");
    try {
      const r = await sendReport(d);
      resetReport(); await clearDraft(); showResult(r);
    } catch (e) {
      if (isNetworkError(e)) {
        await idb("outbox", "readwrite", (s) => s.put(d)); resetReport(); await clearDraft(); toast(t("queued")); go("mine");
      } else showError("#report-error", e.message);
    } finally { btn.disabled = false; btn.textContent = t("submit"); }
  });
  function resetReport() {
    photos = []; category = null; matter = null; currentKey = null; pinnedByUser = false; $("#desc").value = "";
    if (pin) { reportMap.removeLayer(pin); pin = null; }
    $("#place").textContent = t("tap_map"); $("#draft-note").hidden = true;
    renderPhotos(); renderCats(); renderSuggest([]);
  }
  function showResult(r) {
    $("#result-title").textContent = r.outcome === "joined" ? t("joined") : r.outcome === "triage" ? t("waiting") : t("sent");
    $("#result-number").textContent = r.case_number;
    $("#result-unit").textContent = r.unit_name || t("not_set");
    $("#result-due").textContent = fmt(r.due_at);
    $("#result-msg").textContent = r.message;
    go("result");
  }
  async function flushOutbox() {
    const items = await outboxAll().catch(() => []);
    for (const item of items) {
      try { await sendReport(item); await idb("outbox", "readwrite", (s) => s.delete(item.key)); }
      catch (e) { if (isNetworkError(e)) break; await idb("outbox", "readwrite", (s) => s.delete(item.key)); toast(e.message); }
    }
    renderOutbox();
  }
  async function renderOutbox() {
    const n = (await outboxAll().catch(() => [])).length;
    $("#outbox").hidden = !n; $("#outbox").textContent = t("outbox", { n });
  }
  function online() { $("#net").hidden = navigator.onLine; if (navigator.onLine && me) flushOutbox(); }
  window.addEventListener("online", online); window.addEventListener("offline", online);

  // ---- my reports and case detail -----------------------------------------------------------------------
  async function loadMine() {
    renderOutbox();
    try {
      const list = await api("/api/v1/citizen/reports");
      $("#mine-empty").hidden = list.length > 0;
      $("#mine-list").innerHTML = list.map((c) => `<li data-case="${c.case_id}">
        ${c.thumb_url ? `<img alt="" src="${esc(c.thumb_url)}">` : ""}
        <div class="t"><b>${esc(c.matter_name || c.number)}</b><small>${esc(c.number)} · ${fmt(c.reported_at)}${c.supporter ? " · " + t("supporter") : ""}</small></div>
        <span class="status ${esc(c.status)}">${esc(c.status_label)}</span></li>`).join("");
    } catch (e) { if (!isNetworkError(e)) toast(e.message); }
  }
  $("#mine-list").addEventListener("click", (e) => { const li = e.target.closest("li[data-case]"); if (li) openCase(li.dataset.case); });
  let openCaseId = null, stars = 0, disputePhotos = [];
  async function openCase(id) {
    openCaseId = id; showError("#case-error", "");
    try { renderCase(await api(`/api/v1/citizen/cases/${id}`)); go("case"); } catch (e) { toast(isNetworkError(e) ? t("error") : e.message); }
  }
  function imgs(list) { return list.map((u) => `<a href="${esc(u)}" target="_blank"><img alt="" src="${esc(u.replace(".jpg", "_t.jpg"))}"></a>`).join(""); }
  function renderCase(c) {
    $("#case-number").textContent = c.number;
    $("#case-status").textContent = c.status_label; $("#case-status").className = `status ${c.status}`;
    $("#case-matter").textContent = [c.matter_name, c.town_name].filter(Boolean).join(" · ");
    $("#case-desc").textContent = c.description;
    $("#case-unit").textContent = c.unit_name || t("not_set");
    $("#case-due").textContent = fmt(c.due_at);
    $("#case-before").innerHTML = imgs(c.before_photos); $("#case-after").innerHTML = imgs(c.after_photos);
    $("#case-timeline").innerHTML = c.timeline.map((e) => `<li><time>${fmt(e.at)}</time><b>${esc(lang === "en" ? (T.en["ev_" + e.action] || e.label) : e.label)}</b>
      ${e.note ? `<div>${esc(e.note)}</div>` : ""}${e.photos.length ? `<div class="photos">${imgs(e.photos)}</div>` : ""}</li>`).join("");
    $("#rate-box").hidden = !c.can_rate;
    $("#rated").hidden = c.rating == null;
    $("#rated").textContent = c.rating != null ? `${t("rated", { r: c.rating })}${c.rating_comment ? "：" + c.rating_comment : ""}` : "";
    $("#dispute-box").hidden = !c.can_dispute;
    stars = 0; renderStars(); disputePhotos = []; $("#dispute-photos").innerHTML = "";
  }
  function renderStars() {
    $("#stars").innerHTML = [1, 2, 3, 4, 5].map((i) => `<button type="button" role="radio" aria-checked="${i === stars}" aria-label="${i}" data-star="${i}" class="${i <= stars ? "on" : ""}">★</button>`).join("");
  }
  $("#stars").addEventListener("click", (e) => { const b = e.target.closest("[data-star]"); if (b) { stars = +b.dataset.star; renderStars(); } });
  $("#rate-btn").addEventListener("click", async () => {
    if (!stars) return showError("#case-error", lang === "en" ? "Choose 1 to 5 stars" : "请选择 1 到 5 星");
    try { renderCase(await api(`/api/v1/citizen/cases/${openCaseId}/rate`, { method: "POST", body: { rating: stars, comment: $("#rate-comment").value } })); toast(t("thanks")); }
    catch (e) { showError("#case-error", isNetworkError(e) ? t("error") : e.message); }
  });
  $("#dispute-photo").addEventListener("change", async (e) => {
    const f = e.target.files && e.target.files[0]; if (!f) return;
    try { const r = await uploadPhoto(f); disputePhotos.push(r.id); $("#dispute-photos").innerHTML += `<img alt="" src="${esc(r.thumb_url)}">`; }
    catch (err) { showError("#case-error", isNetworkError(err) ? t("error") : err.message); }
    e.target.value = "";
  });
  $("#dispute-btn").addEventListener("click", async () => {
    try { renderCase(await api(`/api/v1/citizen/cases/${openCaseId}/dispute`, { method: "POST", body: { reason: $("#dispute-reason").value, photo_ids: disputePhotos } })); toast(t("reopened")); }
    catch (e) { showError("#case-error", isNetworkError(e) ? t("error") : e.message); }
  });

  // ---- stations --------------------------------------------------------------------------------------
  let stationMap = null;
  async function loadStations() {
    if (!stationMap) stationMap = await makeMap("station-map", 10);
    setTimeout(() => stationMap.invalidateSize(), 50);
    try {
      const list = await api("/api/v1/citizen/stations");
      list.forEach((s) => L.marker([s.lat, s.lon]).addTo(stationMap).bindPopup(`<b>${esc(s.name)}</b><br>${esc(s.opening_hours)}`));
      $("#station-list").innerHTML = list.map((s) => `<li><div class="t"><b>${esc(s.name)}${s.is_demo ? `<span class="badge">${t("demo")}</span>` : ""}</b>
        <small>${esc(s.address)} · ${t("open_hours")} ${esc(s.opening_hours)}</small>
        <div class="amen">${s.amenities.map((a) => `<span>${esc(t(a))}</span>`).join("")}</div></div></li>`).join("");
    } catch (e) { if (!isNetworkError(e)) toast(e.message); }
  }

  // ---- me -------------------------------------------------------------------------------------------
  async function loadMe() {
    $("#me-phone").textContent = me.phone_masked;
    $("#nickname").value = me.nickname;
    const sel = $("#home-town");
    if (sel.options.length <= 1) {
      const list = await api("/api/v1/towns").catch(() => []);
      list.forEach((tw) => sel.add(new Option(tw.name, tw.code)));
    }
    sel.value = me.home_town_code || "";
    try {
      const inbox = await api("/api/v1/citizen/notifications");
      $("#inbox").innerHTML = inbox.length ? inbox.map((n) => `<li><b>${esc(n.title)}</b><div class="muted">${esc(n.body)} · ${fmt(n.created_at)}</div></li>`).join("") : `<li class="muted">${t("no_msgs")}</li>`;
      if (inbox.some((n) => !n.read)) api("/api/v1/citizen/notifications/read", { method: "POST" }).catch(() => {});
    } catch (e) { /* offline */ }
  }
  $("#save-me").addEventListener("click", async () => {
    try {
      me = await api("/api/v1/citizen/me", { method: "PATCH", body: { nickname: $("#nickname").value, home_town_code: $("#home-town").value, language: lang } });
      $("#me-msg").textContent = t("saved"); $("#me-msg").hidden = false;
    } catch (e) { $("#me-msg").textContent = isNetworkError(e) ? t("error") : e.message; $("#me-msg").hidden = false; }
  });
  $("#logout").addEventListener("click", async () => { await api("/api/v1/citizen/session", { method: "DELETE" }).catch(() => {}); me = null; go("login"); });

  // ---- start ---------------------------------------------------------------------------------------
  async function start() {
    go(location.hash.slice(1) === "mine" ? "mine" : "report", false);
    if (!reportMap) {
      reportMap = await makeMap("map", 11);
      reportMap.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng, true));
    }
    const draft = await loadDraft().catch(() => null);
    if (draft) {
      $("#desc").value = draft.description || ""; category = draft.category; matter = draft.matter; currentKey = draft.key;
      photos = (draft.photos || []).map((p) => p.blob ? Object.assign(p, { thumb: URL.createObjectURL(p.blob) }) : p);
      renderPhotos(); renderCats();
      if (draft.lat != null) { pinnedByUser = true; setPin(draft.lat, draft.lon); }
    }
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
