/* 转办渠道: the channels other than urban management that clerks refer cases to, and the reply
   the citizen is then given, over GET /api/v1/channels and PUT /api/v1/channels/{code} (admins
   only; sign-in and language in ./page.js). A deactivated channel
   is no longer offered to clerks; cases referred there before keep it. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

// ---- i18n -----------------------------------------------------------------------------------
const T = {
  en: {
    title: "UrbanOps referral channels",
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
      "Reports the classifier takes for another body's matter are referred by a clerk to one of these channels, and the citizen is given its reply. A deactivated channel is no longer offered to clerks; cases already referred to it keep it.",
    name_zh: "Name (Chinese)",
    name_en: "Name (English)",
    reply_zh: "Reply to the citizen (Chinese)",
    reply_en: "Reply to the citizen (English)",
    is_active: "Offered to clerks",
    active: "active",
    inactive: "inactive",
    save: "Save",
    saved: "Saved.",
    unchanged: "Nothing changed.",
    none: "No channels.",
    not_admin: "This page is for admins only.",
    error: "Something went wrong",
  },
  zh: {
    name_zh: "渠道名称（中文）",
    name_en: "渠道名称（英文）",
    reply_zh: "答复市民（中文）",
    reply_en: "答复市民（英文）",
    is_active: "供受理员选择",
    active: "启用",
    inactive: "已停用",
    save: "保存",
    saved: "已保存。",
    unchanged: "没有修改。",
    none: "没有转办渠道。",
    not_admin: "此页面仅限系统管理员使用。",
    error: "出错了",
  },
};
let channels = null;
const page = adminPage({
  words: T,
  load: async () => {
    channels = await page.api("/api/v1/channels");
    render();
  },
  render: () => render(),
  reset: () => {
    channels = null;
  },
});
const { t, api } = page;

// ---- rendering ------------------------------------------------------------------------------
// what an admin edits of a channel: its names (one line) and replies (a paragraph)
const LINES = ["name_zh", "name_en"];
const TEXTS = ["reply_zh", "reply_en"];

function card(c) {
  const name = page.lang() === "en" ? c.name_en : c.name_zh;
  return html`<form
    class="panel channel ${c.is_active ? "" : "inactive"}"
    data-channel="${c.code}"
    novalidate
  >
    <header>
      <h3>${name}</h3>
      <code>${c.code}</code>
      <span class="badge ${c.is_active ? "" : "off"}"
        >${t(c.is_active ? "active" : "inactive")}</span
      >
    </header>
    <div class="grid">
      ${LINES.map(
        (f) =>
          html`<label
            ><span>${t(f)}</span><input name="${f}" value="${c[f]}" maxlength="64" required
          /></label>`,
      )}
      ${TEXTS.map(
        (f) =>
          html`<label
            ><span>${t(f)}</span
            ><textarea name="${f}" rows="3" maxlength="2000" required>${c[f]}</textarea>
          </label>`,
      )}
    </div>
    <div class="row">
      <label class="check"
        ><input type="checkbox" name="is_active" ${c.is_active ? html`checked` : ""} />
        ${t("is_active")}</label
      >
      <button class="primary">${t("save")}</button>
      <p class="msg" hidden></p>
    </div>
  </form>`;
}

function render() {
  const slots = channels.map((c) => html`<div class="slot">${card(c)}</div>`);
  const none = html`<p class="panel muted">${t("none")}</p>`;
  $("#channels").innerHTML = html`${channels.length ? slots : none}`;
}

function message(form, text, bad) {
  const m = form.querySelector(".msg");
  m.textContent = text;
  m.classList.toggle("bad", !!bad);
  m.hidden = false;
}

// ---- saving ---------------------------------------------------------------------------------
/** The fields of `form` that differ from `channel`: the body of its PUT. */
function changes(form, channel) {
  const body = {};
  for (const f of [...LINES, ...TEXTS]) {
    const value = form.elements.namedItem(f).value.trim();
    if (value !== channel[f]) body[f] = value;
  }
  const active = form.elements.namedItem("is_active").checked;
  if (active !== channel.is_active) body.is_active = active;
  return body;
}

$("#channels").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target.closest("form[data-channel]");
  const i = channels.findIndex((c) => c.code === form.dataset.channel);
  const body = changes(form, channels[i]);
  if (!Object.keys(body).length) return message(form, t("unchanged"), false);
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    channels[i] = await api(`/api/v1/channels/${encodeURIComponent(channels[i].code)}`, {
      method: "PUT",
      body,
    });
    // this card alone is drawn again: what is being written in the others stays
    const slot = form.parentElement;
    slot.innerHTML = html`${card(channels[i])}`;
    message(slot.querySelector("form"), t("saved"), false);
  } catch (err) {
    message(form, err.message, true);
    button.disabled = false;
  }
});

page.begin();
