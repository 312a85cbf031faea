/* 好礼兑换: the rewards clerk's desk over /api/v1/rewards — the prize catalogue (create, edit,
   set the stock left, withdraw), a voucher found by its code (scanned or typed) to issue,
   hand over or cancel, and the latest redemptions by state. For rewards clerks and admins. */
import { html } from "../shared/html.js";
import { $, adminPage, beijing } from "./page.js";

const KINDS = ["gift", "outing", "mystery", "phone_credit", "data", "cash_red_packet"];
const T = {
  en: {
    title: "UrbanOps prizes",
    not_admin: "This page is for rewards clerks and admins.",
    find_label: "Voucher code (scan or type)",
    code_hint: "e.g. K7M3Q-XW9RA",
    find: "Find",
    prizes: "Prizes",
    new_prize: "New prize",
    redemptions: "Redemptions",
    all_states: "All states",
    st_requested: "requested",
    st_issued: "ready to collect",
    st_collected: "collected",
    st_cancelled: "cancelled",
    name: "Name",
    description: "Description",
    kind: "Kind",
    price: "Points",
    stock: "Stock left",
    limit: "Per person",
    threshold: "Low-stock alert at",
    valid_from: "Valid from",
    valid_until: "Valid until",
    face_value: "Amount (fen)",
    image_url: "Image URL",
    active: "On offer",
    withdrawn: "withdrawn",
    low: "low",
    demo: "demo",
    edit: "Edit",
    save: "Save",
    create: "Create",
    cancel_edit: "Close",
    new_title: "New prize",
    edit_title: "Edit {n}",
    none: "None yet.",
    code: "Code",
    prize: "Prize",
    citizen: "Citizen",
    status: "State",
    at: "Redeemed",
    expires: "Expires",
    issue: "Issue",
    collect: "Hand over",
    cancel: "Cancel",
    cancel_q: "Cancel this redemption and refund {p} points?",
    done: "Done: {s}.",
    kind_gift: "Gift",
    kind_outing: "Outing",
    kind_mystery: "Mystery prize",
    kind_phone_credit: "Phone credit",
    kind_data: "Mobile data",
    kind_cash_red_packet: "Cash red packet",
    unlimited: "no limit",
  },
  zh: {
    not_admin: "此页面仅限积分管理员或系统管理员使用。",
    name: "名称",
    description: "说明",
    kind: "类型",
    price: "所需积分",
    stock: "剩余库存",
    limit: "每人限兑",
    threshold: "库存提醒阈值",
    valid_from: "开始兑换",
    valid_until: "截止兑换",
    face_value: "金额（分）",
    image_url: "图片地址",
    active: "上架",
    withdrawn: "已下架",
    low: "库存低",
    demo: "演示",
    edit: "编辑",
    save: "保存",
    create: "创建",
    cancel_edit: "关闭",
    new_title: "新建好礼",
    edit_title: "编辑 {n}",
    none: "暂无。",
    code: "兑换码",
    prize: "好礼",
    citizen: "市民",
    status: "状态",
    at: "兑换时间",
    expires: "有效期至",
    issue: "发放",
    collect: "确认领取",
    cancel: "取消",
    cancel_q: "取消该兑换并退回 {p} 积分？",
    done: "已完成：{s}。",
    kind_gift: "文明随手礼",
    kind_outing: "活动体验",
    kind_mystery: "神秘大奖",
    kind_phone_credit: "话费",
    kind_data: "流量",
    kind_cash_red_packet: "现金红包",
    unlimited: "不限",
  },
};

let prizes = [];
let redemptions = [];
let editing = null; // a prize being edited, {} for a new one
let found = null;
let note = null; // [text, bad]

const page = adminPage({
  words: T,
  allow: ["admin", "rewards_clerk"],
  load: async () => {
    await reload();
  },
  render: () => render(),
  reset: () => {
    prizes = [];
    redemptions = [];
    editing = found = note = null;
  },
});
const { t, api } = page;

async function reload() {
  prizes = await api("/api/v1/rewards/prizes");
  const state = $("#state").value;
  redemptions = await api(`/api/v1/rewards/redemptions${state ? `?status=${state}` : ""}`);
  render();
}

// <input type=datetime-local> holds Beijing wall-clock time
const toLocal = (iso) => (iso ? beijing(iso).replace(" ", "T") : "");
const fromLocal = (v) => (v ? `${v}:00+08:00` : null);

function prizeRows() {
  if (!prizes.length)
    return html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
  return html`<thead>
      <tr>
        <th>${t("name")}</th>
        <th>${t("kind")}</th>
        <th class="num">${t("price")}</th>
        <th class="num">${t("stock")}</th>
        <th class="num">${t("limit")}</th>
        <th>${t("valid_until")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${prizes.map(
        (p) =>
          html`<tr class="${p.active ? "" : "off"} ${editing?.id === p.id ? "chosen" : ""}">
            <td>
              ${p.name} ${p.is_demo ? html`<span class="badge demo">${t("demo")}</span>` : ""}
              ${p.active ? "" : html`<span class="badge off">${t("withdrawn")}</span>`}
            </td>
            <td>${t(`kind_${p.kind}`)}</td>
            <td class="num">${p.price_points}</td>
            <td class="num">
              ${p.stock} ${p.low_stock ? html`<span class="badge warn">${t("low")}</span>` : ""}
            </td>
            <td class="num">${p.per_person_limit ?? t("unlimited")}</td>
            <td>${beijing(p.valid_until)}</td>
            <td class="actions"><button class="link" data-edit="${p.id}">${t("edit")}</button></td>
          </tr>`,
      )}
    </tbody>`;
}

function editor() {
  if (!editing) return "";
  const p = editing;
  const field = (name, key, input) => html`<label><span>${t(key)}</span>${input}</label>`;
  return html`<form class="panel edit" id="prize-form" novalidate>
    <h2>${p.id ? t("edit_title", { n: p.name }) : t("new_title")}</h2>
    ${field("name", "name", html`<input name="name" maxlength="60" required value="${p.name || ""}" />`)}
    ${field(
      "description",
      "description",
      html`<textarea name="description" rows="2" maxlength="2000">
${p.description || ""}</textarea>`,
    )}
    <div class="two">
      ${field(
        "kind",
        "kind",
        html`<select name="kind">
          ${KINDS.map(
            (k) =>
              html`<option value="${k}" ${p.kind === k ? html`selected` : ""}>
                ${t(`kind_${k}`)}
              </option>`,
          )}
        </select>`,
      )}
      ${field("price", "price", html`<input name="price_points" type="number" min="1" value="${p.price_points ?? 100}" />`)}
      ${field("stock", "stock", html`<input name="stock" type="number" min="0" value="${p.stock ?? 0}" />`)}
      ${field("limit", "limit", html`<input name="per_person_limit" type="number" min="1" value="${p.per_person_limit ?? ""}" />`)}
      ${field("threshold", "threshold", html`<input name="low_stock_threshold" type="number" min="0" value="${p.low_stock_threshold ?? 0}" />`)}
      ${field("face_value", "face_value", html`<input name="face_value_fen" type="number" min="1" value="${p.face_value_fen ?? ""}" />`)}
      ${field("valid_from", "valid_from", html`<input name="valid_from" type="datetime-local" value="${toLocal(p.valid_from)}" />`)}
      ${field("valid_until", "valid_until", html`<input name="valid_until" type="datetime-local" value="${toLocal(p.valid_until)}" />`)}
    </div>
    <label class="checks"
      ><label
        ><input type="checkbox" name="active" ${p.active === false ? "" : html`checked`} />
        ${t("active")}</label
      ></label
    >
    <div class="row">
      <button class="primary">${p.id ? t("save") : t("create")}</button>
      <button type="button" id="close">${t("cancel_edit")}</button>
    </div>
    ${note && note[2] === "editor" ? html`<p class="msg ${note[1] ? "bad" : ""}">${note[0]}</p>` : ""}
  </form>`;
}

function actions(r) {
  if (r.kind === "cash_red_packet") return "";
  return html`${r.status === "requested" ? html`<button data-act="issue" data-code="${r.voucher_code}">${t("issue")}</button>` : ""}
  ${
    ["requested", "issued"].includes(r.status)
      ? html`<button class="primary" data-act="collect" data-code="${r.voucher_code}">
            ${t("collect")}
          </button>
          <button class="danger" data-act="cancel" data-id="${r.id}" data-points="${r.points}">
            ${t("cancel")}
          </button>`
      : ""
  }`;
}

const label = (r) => (page.lang() === "en" ? r.status_label_en : r.status_label);

function foundPanel() {
  const m =
    note && note[2] === "found" ? html`<p class="msg ${note[1] ? "bad" : ""}">${note[0]}</p>` : "";
  if (!found) return m ? html`<div class="panel">${m}</div>` : "";
  const r = found;
  return html`<div class="panel result">
    <div class="row">
      <code>${r.voucher_code}</code><b>${r.prize_name}</b>
      <span class="badge ${r.status === "cancelled" ? "off" : ""}">${label(r)}</span>
      <span>${t("citizen")}：${r.citizen_nickname} ${r.citizen_phone}</span>
      <span class="muted">${t("expires")}：${beijing(r.expires_at) || "—"}</span>
      ${actions(r)}
    </div>
    ${m}
  </div>`;
}

function redemptionRows() {
  if (!redemptions.length)
    return html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
  return html`<thead>
      <tr>
        <th>${t("code")}</th>
        <th>${t("prize")}</th>
        <th>${t("citizen")}</th>
        <th>${t("status")}</th>
        <th>${t("at")}</th>
        <th>${t("expires")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${redemptions.map(
        (r) =>
          html`<tr class="${r.status === "cancelled" ? "off" : ""}">
            <td><code>${r.voucher_code}</code></td>
            <td>${r.prize_name}</td>
            <td>${r.citizen_nickname} ${r.citizen_phone}</td>
            <td>${label(r)}</td>
            <td>${beijing(r.created_at)}</td>
            <td>${beijing(r.expires_at)}</td>
            <td class="actions">${actions(r)}</td>
          </tr>`,
      )}
    </tbody>`;
}

function render() {
  $("#prizes").innerHTML = html`${prizeRows()}`;
  $("#editor").innerHTML = html`${editor()}`;
  $("#found").innerHTML = html`${foundPanel()}`;
  $("#redemptions").innerHTML = html`${redemptionRows()}`;
}

function body(form) {
  const f = form.elements;
  const num = (n) => (f.namedItem(n).value === "" ? null : Number(f.namedItem(n).value));
  return {
    name: f.namedItem("name").value.trim(),
    description: f.namedItem("description").value.trim(),
    kind: f.namedItem("kind").value,
    price_points: num("price_points"),
    stock: num("stock"),
    per_person_limit: num("per_person_limit"),
    low_stock_threshold: num("low_stock_threshold") ?? 0,
    face_value_fen: num("face_value_fen"),
    valid_from: fromLocal(f.namedItem("valid_from").value),
    valid_until: fromLocal(f.namedItem("valid_until").value),
    active: f.namedItem("active").checked,
  };
}

$("#new").addEventListener("click", () => {
  editing = { active: true, kind: "gift" };
  note = null;
  render();
});
$("#state").addEventListener("change", () => reload().catch(() => {}));

$("#editor").addEventListener("click", (e) => {
  if (e.target.id !== "close") return;
  editing = note = null;
  render();
});
$("#editor").addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = body(e.target);
  try {
    const saved = editing.id
      ? await api(`/api/v1/rewards/prizes/${editing.id}`, { method: "PATCH", body: data })
      : await api("/api/v1/rewards/prizes", { method: "POST", body: data });
    editing = saved;
    note = [t("done", { s: saved.name }), false, "editor"];
    await reload();
  } catch (err) {
    note = [err.message, true, "editor"];
    render();
  }
});
$("#prizes").addEventListener("click", (e) => {
  const id = e.target.dataset?.edit;
  if (!id) return;
  editing = prizes.find((p) => String(p.id) === id);
  note = null;
  render();
});

$("#find").addEventListener("submit", async (e) => {
  e.preventDefault();
  const code = $("#code").value.trim();
  if (!code) return;
  try {
    found = await api(`/api/v1/rewards/vouchers/${encodeURIComponent(code)}`);
    note = null;
  } catch (err) {
    found = null;
    note = [err.message, true, "found"];
  }
  render();
});

async function act(button) {
  const { act: what, code, id, points } = button.dataset;
  if (what === "cancel" && !window.confirm(t("cancel_q", { p: points }))) return;
  try {
    const r =
      what === "cancel"
        ? await api(`/api/v1/rewards/redemptions/${id}/cancel`, { method: "POST", body: {} })
        : await api(`/api/v1/rewards/vouchers/${encodeURIComponent(code)}/${what}`, {
            method: "POST",
          });
    found = r;
    note = [t("done", { s: label(r) }), false, "found"];
    await reload();
  } catch (err) {
    note = [err.message, true, "found"];
    render();
  }
}
for (const where of ["#found", "#redemptions"]) {
  $(where).addEventListener("click", (e) => {
    const button = e.target.closest("button[data-act]");
    if (button) act(button);
  });
}

page.begin();
