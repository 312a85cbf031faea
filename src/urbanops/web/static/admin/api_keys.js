/* API 密钥: keys of other systems over /api/v1/admin/api-keys — create (the secret is shown
   this once; only its digest is kept), list by name and prefix, revoke. */
import { html } from "../shared/html.js";
import { $, adminPage, beijing } from "./page.js";

const T = {
  en: {
    title: "UrbanOps API keys",
    create_title: "New API key",
    intro:
      "For other systems (12345 hotline platform, provincial platform) calling the API with the X-API-Key header. A key's secret is shown only when it is created; only its digest is kept.",
    name_ph: "Name, e.g. 12345 hotline platform",
    create: "Create",
    secret: "The secret of {n} — copy it now, it is not shown again:",
    name: "Name",
    prefix: "Starts with",
    created: "Created",
    status: "Status",
    valid: "valid",
    revoked: "revoked {at}",
    revoke: "Revoke",
    revoke_q: "Revoke the key {n}? Systems using it are refused from now on.",
    none: "No keys yet.",
  },
  zh: {
    secret: "{n} 的密钥——请立即复制，之后不再显示：",
    name: "名称",
    prefix: "前缀",
    created: "创建时间",
    status: "状态",
    valid: "有效",
    revoked: "已于 {at} 吊销",
    revoke: "吊销",
    revoke_q: "吊销密钥“{n}”？使用它的系统将被拒绝。",
    none: "还没有密钥。",
  },
};

let keys = [];
const page = adminPage({
  words: T,
  load: async () => {
    await reload();
  },
  render: () => render(),
  reset: () => {
    keys = [];
    $("#secret").innerHTML = html``;
  },
});
const { t, api } = page;

async function reload() {
  keys = await api("/api/v1/admin/api-keys");
  render();
}

function render() {
  if (!keys.length) {
    $("#keys").innerHTML = html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
    return;
  }
  $("#keys").innerHTML = html`<thead>
      <tr>
        <th>${t("name")}</th>
        <th>${t("prefix")}</th>
        <th>${t("created")}</th>
        <th>${t("status")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${keys.map(
        (k) =>
          html`<tr data-key="${k.id}" class="${k.revoked_at ? "off" : ""}">
            <td>${k.name}</td>
            <td><code>${k.prefix}…</code></td>
            <td>${beijing(k.created_at)}</td>
            <td>
              ${
                k.revoked_at
                  ? html`<span class="badge off"
                      >${t("revoked", { at: beijing(k.revoked_at) })}</span
                    >`
                  : html`<span class="badge">${t("valid")}</span>`
              }
            </td>
            <td class="actions">
              ${
                k.revoked_at
                  ? ""
                  : html`<button class="link danger" data-act="revoke">${t("revoke")}</button>`
              }
            </td>
          </tr>`,
      )}
    </tbody>`;
}

$("#create").addEventListener("submit", async (e) => {
  e.preventDefault();
  const msg = $("#create-msg");
  msg.textContent = "";
  try {
    const made = await api("/api/v1/admin/api-keys", {
      method: "POST",
      body: { name: $("#name").value.trim() },
    });
    $("#secret").innerHTML = html`<div class="panel secret">
      ${t("secret", { n: made.name })} <code id="secret-value">${made.secret}</code>
    </div>`;
    $("#name").value = "";
    await reload();
  } catch (err) {
    msg.textContent = err.message;
    msg.className = "err";
  }
});

$("#keys").addEventListener("click", async (e) => {
  if (e.target.dataset.act !== "revoke") return;
  const key = keys.find((k) => k.id === Number(e.target.closest("tr").dataset.key));
  if (!window.confirm(t("revoke_q", { n: key.name }))) return;
  await api(`/api/v1/admin/api-keys/${key.id}/revoke`, { method: "POST" });
  $("#secret").innerHTML = html``;
  await reload();
});

page.begin();
