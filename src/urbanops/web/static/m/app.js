/* 全莞拍: the citizen app, plain JavaScript modules over the /api/v1/citizen API (see
   docs/DESIGN.md, "Front-end"). This module signs the citizen in and starts the views:
   report.js (the form), outbox.js (reports not yet accepted, kept in IndexedDB and sent when
   online again), mine.js (my reports, a case, rating and "not fixed"), the stations and "me".
   No inline script, no eval: it runs under `script-src 'self'`. Server and user text reaches
   the page through textContent or the escaping `html` tag (shared/html.js); only this
   platform's /media/ URLs and https: URLs go into src/href (`safeUrl`). */
import { element, html } from "../shared/html.js";
import { fmt, lang, setLang, t, translatePage } from "./i18n.js";
import { makeMap } from "./maps.js";
import { loadBoards } from "./boards.js";
import { loadMine } from "./mine.js";
import { loadPoints } from "./points.js";
import { loadPrizes, loadVouchers } from "./prizes.js";
import { go, onShow, session, signedOut } from "./nav.js";
import { api, isNetworkError, outcomeOf } from "./net.js";
import { online, renderOutbox } from "./outbox.js";
import { showReportMap } from "./place.js";
import {
  clearFields,
  clearForm,
  fieldError,
  generalError,
  problemOf,
  showProblem,
} from "./problems.js";
import { restoreDraft } from "./report.js";
import { loadTitles } from "./titles.js";
import { forgetInvite, invitedBy, keepInvite } from "./share.js";
import { $, toast } from "./ui.js";
import { renderCats, setCategories } from "./what.js";

const DEMO = $("#app").dataset.demo === "true";
// the views the app may open on (from the address's #hash); any other opens the report form
const OPENING = ["mine", "points", "prizes", "vouchers", "titles", "boards"];

function applyLang() {
  translatePage();
  renderCats();
  renderOutbox();
}
$("#lang").addEventListener("click", () => {
  setLang(lang === "en" ? "zh" : "en");
  applyLang();
});

onShow("report", showReportMap);
onShow("mine", loadMine);
onShow("stations", loadStations);
onShow("me", loadMe);
onShow("points", loadPoints);
onShow("prizes", loadPrizes);
onShow("vouchers", loadVouchers);
onShow("titles", loadTitles);
onShow("boards", loadBoards);

// ---- sign in --------------------------------------------------------------------------------
let countdown = 0;
const phoneValue = () => $("#phone").value.replace(/[\s-]/g, "");
$("#phone").addEventListener("input", () => {
  clearFields("login", "phone");
  generalError("login", "");
});
$("#code").addEventListener("input", () => {
  clearFields("login", "code");
  generalError("login", "");
});
$("#send-code").addEventListener("click", async () => {
  clearForm("login");
  if (!phoneValue()) return fieldError("login", "phone", t("need_phone"));
  const b = $("#send-code");
  b.disabled = true;
  try {
    const r = await api("/api/v1/citizen/otp", { method: "POST", body: { phone: phoneValue() } });
    toast(t("code_sent"));
    if (r.demo_code) {
      $("#demo-code").textContent = t("demo_code", { c: r.demo_code });
      $("#demo-code").hidden = false;
    }
    countdown = 60;
    tick();
    $("#code").focus();
  } catch (e) {
    b.disabled = false;
    showProblem("login", problemOf(e, "login"));
  }
});
function tick() {
  const b = $("#send-code");
  if (countdown <= 0) {
    b.disabled = false;
    b.textContent = t("send_code");
    return;
  }
  b.disabled = true;
  b.textContent = t("resend", { s: countdown });
  countdown -= 1;
  setTimeout(tick, 1000);
}
$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  clearForm("login");
  if (!phoneValue()) return fieldError("login", "phone", t("need_phone"));
  if (!/^\d{4,8}$/.test($("#code").value.trim()))
    return fieldError("login", "code", t("need_code"));
  const btn = $("#login-btn");
  btn.disabled = true;
  try {
    const body = { phone: phoneValue(), code: $("#code").value.trim() };
    if (invitedBy()) body.ref = invitedBy(); // the share link that brought this phone here
    session.me = await api("/api/v1/citizen/session", { method: "POST", body });
    forgetInvite();
    // the session cookie is `Secure` in production: over plain http (not localhost) it is dropped
    try {
      await api("/api/v1/citizen/me");
    } catch (err) {
      if (outcomeOf(err) === "auth") {
        session.me = null;
        return generalError("login", t(window.isSecureContext ? "cookie_lost" : "need_https"));
      }
    }
    if (session.me.language && session.me.language !== lang) {
      setLang(session.me.language);
      applyLang();
    }
    clearForm("login");
    $("#code").value = "";
    start();
  } catch (err) {
    showProblem("login", problemOf(err, "login"));
  } finally {
    btn.disabled = false;
  }
});

// the sign-in page's promise links to the points page, shown once signed in
$("#login-points").addEventListener("click", () => toast(t("points_after_login")));

// ---- stations -------------------------------------------------------------------------------
let stationMap = null;
let stationsShown = false;
async function loadStations() {
  if (!stationMap) stationMap = await makeMap("station-map", 10);
  setTimeout(() => stationMap.invalidateSize(), 50);
  try {
    const list = await api("/api/v1/citizen/stations");
    if (!stationsShown)
      list.forEach((s) =>
        L.marker([s.lat, s.lon])
          .addTo(stationMap)
          .bindPopup(element(html`<b>${s.name}</b><br />${s.opening_hours}`)),
      );
    stationsShown = true;
    $("#station-list").innerHTML = html`${list.map(
      (s) =>
        html`<li>
          <div class="t">
            <b>${s.name}${s.is_demo ? html`<span class="badge">${t("demo")}</span>` : ""}</b>
            <small>${s.address} · ${t("open_hours")} ${s.opening_hours}</small>
            <div class="amen">${s.amenities.map((a) => html`<span>${t(a)}</span>`)}</div>
          </div>
        </li>`,
    )}`;
  } catch (e) {
    if (!isNetworkError(e)) toast(e.message);
  }
}

// ---- me -------------------------------------------------------------------------------------
async function loadMe() {
  const me = session.me;
  $("#me-phone").textContent = me.phone_masked;
  $("#nickname").value = me.nickname;
  clearForm("me");
  $("#me-msg").hidden = true;
  const sel = $("#home-town");
  if (sel.options.length <= 1) {
    const list = await api("/api/v1/towns").catch(() => []);
    list.forEach((tw) => sel.add(new Option(tw.name, tw.code)));
  }
  sel.value = me.home_town_code || "";
  try {
    const inbox = await api("/api/v1/citizen/notifications");
    const none = html`<li class="muted">${t("no_msgs")}</li>`;
    $("#inbox").innerHTML = html`${
      inbox.length
        ? inbox.map(
            (n) =>
              html`<li>
                <b>${n.title}</b>
                <div class="muted">${n.body} · ${fmt(n.created_at)}</div>
              </li>`,
          )
        : none
    }`;
    if (inbox.some((n) => !n.read))
      api("/api/v1/citizen/notifications/read", { method: "POST" }).catch(() => {});
  } catch {
    /* offline */
  }
}
$("#nickname").addEventListener("input", () => {
  clearFields("me", "nickname");
  $("#me-msg").hidden = true;
});
$("#home-town").addEventListener("change", () => {
  clearFields("me", "home_town_code");
  $("#me-msg").hidden = true;
});
$("#save-me").addEventListener("click", async () => {
  clearForm("me");
  $("#me-msg").hidden = true;
  try {
    session.me = await api("/api/v1/citizen/me", {
      method: "PATCH",
      body: {
        nickname: $("#nickname").value,
        home_town_code: $("#home-town").value,
        language: lang,
      },
    });
    $("#me-msg").textContent = t("saved");
    $("#me-msg").hidden = false;
  } catch (e) {
    if (outcomeOf(e) === "auth") signedOut();
    else showProblem("me", problemOf(e, "me"));
  }
});
$("#logout").addEventListener("click", async () => {
  await api("/api/v1/citizen/session", { method: "DELETE" }).catch(() => {});
  signedOut();
});

// ---- start ----------------------------------------------------------------------------------
async function start() {
  const asked = location.hash.slice(1);
  go(OPENING.includes(asked) ? asked : "report", false);
  await showReportMap();
  await restoreDraft();
  renderOutbox();
  online();
}

async function boot() {
  keepInvite();
  applyLang();
  try {
    setCategories(await api("/api/v1/categories"));
  } catch {
    /* offline */
  }
  if ("serviceWorker" in navigator)
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
  try {
    session.me = await api("/api/v1/citizen/me");
  } catch {
    session.me = null;
  }
  if (session.me) start();
  else go("login", false);
  if (DEMO) $("#phone").placeholder = "13800138000";
}
boot();
