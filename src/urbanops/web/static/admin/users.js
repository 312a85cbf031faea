/* 用户与角色: staff accounts over /api/v1/admin/users — search, create (the password policy's
   refusal shown as the server words it), edit roles, unit, an area chief's communities and where the account is reached off the platform
   (phone for SMS, 企业微信 UserID),
   disable / enable, reset a password (the temporary one shown once). Admins only; sign-in and
   language in ./page.js. */
import { html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const T = {
  en: {
    title: "UrbanOps users and roles",
    search: "Search by user name or name",
    new_user: "New user",
    all_roles: "All roles",
    username: "User name",
    display_name: "Name",
    roles: "Roles",
    unit: "Unit",
    no_unit: "(no unit)",
    communities: "Communities (area chief)",
    communities_hint: "Pick a town, then tick its communities.",
    town: "Town",
    status: "Status",
    active: "active",
    disabled: "disabled",
    locked: "locked",
    must_change: "must change password",
    created: "Created",
    edit: "Edit",
    disable: "Disable",
    enable: "Enable",
    reset: "Reset password",
    reset_q: "Give {u} a new temporary password? Their current sessions end.",
    reset_done: "Temporary password of {u} (shown once; they must change it at the next sign-in):",
    password: "Password",
    password_hint:
      "At least 8 characters mixing three of: upper case, lower case, digits, symbols; not the user name.",
    must_change_box: "Must change the password at the first sign-in",
    save: "Save",
    create: "Create",
    cancel: "Cancel",
    saved: "Saved.",
    created_ok: "User {u} created.",
    none: "No users match.",
    edit_title: "Edit {u}",
    new_title: "New user",
    chosen: "{n} chosen",
    phone: "Mobile phone (SMS)",
    wecom: "WeCom UserID",
    contact_hint: "Where supervision and the daily digest reach them: WeCom first, else SMS.",
  },
  zh: {
    search: "按用户名或姓名搜索",
    phone: "手机号（短信）",
    wecom: "企业微信 UserID",
    contact_hint: "督办、每日摘要等通知先发企业微信，没有时发短信。",
    all_roles: "全部角色",
    username: "用户名",
    display_name: "姓名",
    roles: "角色",
    unit: "所属单位",
    no_unit: "（无）",
    communities: "负责的村（社区）（片长）",
    communities_hint: "先选镇街，再勾选其村（社区）。",
    town: "镇街",
    status: "状态",
    active: "启用",
    disabled: "已停用",
    locked: "已锁定",
    must_change: "须改密码",
    created: "创建时间",
    edit: "编辑",
    disable: "停用",
    enable: "启用",
    reset: "重置密码",
    reset_q: "为 {u} 生成新的临时密码？其当前登录将失效。",
    reset_done: "{u} 的临时密码（仅显示这一次；下次登录须修改）：",
    password: "密码",
    password_hint: "至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类，且不含用户名。",
    must_change_box: "首次登录须修改密码",
    save: "保存",
    create: "创建",
    cancel: "取消",
    saved: "已保存。",
    created_ok: "已创建用户 {u}。",
    none: "没有符合条件的用户。",
    edit_title: "编辑 {u}",
    new_title: "新建用户",
    chosen: "已选 {n} 个",
  },
};

let options = null;
let units = [];
let users = [];
let editing = null; // null: no form; {}: a new user; a user: editing them
let chosen = new Set(); // the communities ticked in the form
const communityNames = {};
let townCommunities = [];
let formTown = "";

const page = adminPage({
  words: T,
  load: async () => {
    [options, units] = await Promise.all([
      page.api("/api/v1/admin/options"),
      page.api("/api/v1/admin/units"),
    ]);
    fillRoleFilter();
    await search();
  },
  render: () => {
    fillRoleFilter();
    renderTable();
    renderEditor();
  },
  reset: () => {
    users = [];
    editing = null;
  },
});
const { t, api } = page;
const en = () => page.lang() === "en";
const roleLabel = (code) => {
  const r = options.roles.find((x) => x.code === code);
  return r ? (en() ? r.label_en : r.label) : code;
};
const unitName = (id) => units.find((u) => u.id === id)?.name || "";

function fillRoleFilter() {
  const current = $("#role-filter").value;
  $("#role-filter").innerHTML = html`<option value="">${t("all_roles")}</option>
    ${options.roles.map(
      (r) =>
        html`<option value="${r.code}" ${r.code === current ? html`selected` : ""}>
          ${en() ? r.label_en : r.label}
        </option>`,
    )}`;
}

async function search() {
  const params = new URLSearchParams();
  if ($("#q").value.trim()) params.set("q", $("#q").value.trim());
  if ($("#role-filter").value) params.set("role", $("#role-filter").value);
  users = await api(`/api/v1/admin/users?${params}`);
  renderTable();
}

function status(u) {
  const out = [];
  out.push(
    u.is_active
      ? html`<span class="badge">${t("active")}</span>`
      : html`<span class="badge off">${t("disabled")}</span>`,
  );
  if (u.locked) out.push(html` <span class="badge warn">${t("locked")}</span>`);
  if (u.must_change_password) out.push(html` <span class="badge warn">${t("must_change")}</span>`);
  return out;
}

function renderTable() {
  if (!users.length) {
    $("#users").innerHTML = html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
    return;
  }
  $("#users").innerHTML = html`<thead>
      <tr>
        <th>${t("username")}</th>
        <th>${t("display_name")}</th>
        <th>${t("roles")}</th>
        <th>${t("unit")}</th>
        <th>${t("status")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${users.map(
        (u) =>
          html`<tr
            data-user="${u.id}"
            class="${u.is_active ? "" : "off"} ${editing && editing.id === u.id ? "chosen" : ""}"
          >
            <td><code>${u.username}</code></td>
            <td>${u.display_name}</td>
            <td>
              ${u.roles.map((r) => html`<span class="chip">${roleLabel(r)}</span>`)}
              ${
                u.communities.length
                  ? html`<span class="muted">${t("chosen", { n: u.communities.length })}</span>`
                  : ""
              }
            </td>
            <td>${unitName(u.unit_id)}</td>
            <td>${status(u)}</td>
            <td class="actions">
              <button class="link" data-act="edit">${t("edit")}</button>
              <button class="link" data-act="toggle">
                ${t(u.is_active ? "disable" : "enable")}
              </button>
              <button class="link" data-act="reset">${t("reset")}</button>
            </td>
          </tr>`,
      )}
    </tbody>`;
}

// ---- the form -------------------------------------------------------------------------------
function unitOptions(selected) {
  const active = units.filter((u) => u.is_active || u.id === selected);
  return html`<option value="">${t("no_unit")}</option>
    ${active.map(
      (u) =>
        html`<option value="${u.id}" ${u.id === selected ? html`selected` : ""}>${u.name}</option>`,
    )}`;
}

function communityPicker() {
  const towns = options.towns;
  return html`<div class="field" id="communities-field">
    <span>${t("communities")}</span>
    <p class="muted">${t("communities_hint")} ${t("chosen", { n: chosen.size })}</p>
    <div>${[...chosen].map((c) => html`<span class="chip">${communityNames[c] || c}</span>`)}</div>
    <select id="c-town">
      <option value="">${t("town")}</option>
      ${towns.map(
        (x) =>
          html`<option value="${x.code}" ${x.code === formTown ? html`selected` : ""}>
            ${x.label}
          </option>`,
      )}
    </select>
    <div class="scope-list checks" ${townCommunities.length ? "" : html`hidden`}>
      ${townCommunities.map(
        (c) =>
          html`<label
            ><input
              type="checkbox"
              name="community"
              value="${c.code}"
              ${chosen.has(c.code) ? html`checked` : ""}
            />${c.name}</label
          >`,
      )}
    </div>
  </div>`;
}

function renderEditor() {
  if (!editing) {
    $("#editor").innerHTML = html``;
    return;
  }
  const isNew = !editing.id;
  const roles = new Set(editing.roles || []);
  $("#editor").innerHTML = html`<form class="panel edit" id="user-form" novalidate>
    <h2>${isNew ? t("new_title") : t("edit_title", { u: editing.username })}</h2>
    ${
      isNew
        ? html`<label
            ><span>${t("username")}</span
            ><input name="username" required maxlength="64" autocomplete="off"
          /></label>`
        : ""
    }
    <label
      ><span>${t("display_name")}</span
      ><input name="display_name" required maxlength="64" value="${editing.display_name || ""}"
    /></label>
    ${
      isNew
        ? html`<label
              ><span>${t("password")}</span
              ><input name="password" type="password" required autocomplete="new-password"
            /></label>
            <p class="muted">${t("password_hint")}</p>`
        : ""
    }
    <div class="field">
      <span>${t("roles")}</span>
      <div class="checks">
        ${options.roles.map(
          (r) =>
            html`<label
              ><input
                type="checkbox"
                name="role"
                value="${r.code}"
                ${roles.has(r.code) ? html`checked` : ""}
              />${en() ? r.label_en : r.label}</label
            >`,
        )}
      </div>
    </div>
    <label
      ><span>${t("unit")}</span
      ><select name="unit_id">
        ${unitOptions(editing.unit_id)}
      </select></label
    >
    <div id="picker" ${roles.has("area_chief") ? "" : html`hidden`}>${communityPicker()}</div>
    ${
      isNew
        ? ""
        : html`<label
              ><span>${t("phone")}</span
              ><input
                name="phone"
                type="tel"
                inputmode="numeric"
                maxlength="11"
                pattern="1[3-9][0-9]{9}"
                value="${editing.phone || ""}"
            /></label>
            <label
              ><span>${t("wecom")}</span
              ><input name="wecom_userid" maxlength="64" value="${editing.wecom_userid || ""}"
            /></label>
            <p class="muted">${t("contact_hint")}</p>`
    }
    ${
      isNew
        ? html`<label class="checks"
            ><span
              ><input type="checkbox" name="must_change" checked /> ${t("must_change_box")}</span
            ></label
          >`
        : ""
    }
    <div class="row">
      <button class="primary">${isNew ? t("create") : t("save")}</button>
      <button type="button" data-act="cancel">${t("cancel")}</button>
    </div>
    <p class="msg" hidden></p>
  </form>`;
}

function formRoles(form) {
  return [...form.querySelectorAll("input[name=role]:checked")].map((el) => el.value);
}

function say(text, bad) {
  const m = $("#user-form .msg");
  m.textContent = text;
  m.classList.toggle("bad", !!bad);
  m.hidden = false;
}

async function openEditor(user) {
  editing = user;
  chosen = new Set(user.communities || []);
  townCommunities = [];
  formTown = "";
  if (chosen.size) {
    const found = await api(`/api/v1/admin/communities?codes=${[...chosen].join(",")}`);
    found.forEach((c) => (communityNames[c.code] = c.name));
    formTown = found[0]?.town_code || "";
    if (formTown) await loadTown(formTown);
  }
  renderEditor();
  renderTable();
}

async function loadTown(code) {
  formTown = code;
  townCommunities = code ? await api(`/api/v1/admin/communities?town_code=${code}`) : [];
  townCommunities.forEach((c) => (communityNames[c.code] = c.name));
}

function keepFormValues(form) {
  // what was typed survives a redraw of the picker
  editing = {
    ...editing,
    display_name: form.elements.namedItem("display_name").value,
    roles: formRoles(form),
    unit_id: Number(form.elements.namedItem("unit_id").value) || null,
  };
  if (editing.id) {
    editing.phone = form.elements.namedItem("phone").value;
    editing.wecom_userid = form.elements.namedItem("wecom_userid").value;
  }
}

$("#editor").addEventListener("change", async (e) => {
  const form = e.target.closest("form");
  if (e.target.name === "role") {
    $("#picker").hidden = !formRoles(form).includes("area_chief");
  } else if (e.target.id === "c-town") {
    keepFormValues(form);
    const typed = isNewValues(form);
    await loadTown(e.target.value);
    renderEditor();
    restoreNewValues(typed);
  } else if (e.target.name === "community") {
    if (e.target.checked) chosen.add(e.target.value);
    else chosen.delete(e.target.value);
    keepFormValues(form);
    const typed = isNewValues(form);
    renderEditor();
    restoreNewValues(typed);
  }
});

function isNewValues(form) {
  if (editing.id) return null;
  return {
    username: form.elements.namedItem("username").value,
    password: form.elements.namedItem("password").value,
  };
}

function restoreNewValues(typed) {
  if (!typed) return;
  const form = $("#user-form");
  form.elements.namedItem("username").value = typed.username;
  form.elements.namedItem("password").value = typed.password;
}

$("#editor").addEventListener("click", (e) => {
  if (e.target.dataset.act === "cancel") {
    editing = null;
    renderEditor();
    renderTable();
  }
});

$("#editor").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const roles = formRoles(form);
  const body = {
    display_name: form.elements.namedItem("display_name").value.trim(),
    roles,
    unit_id: Number(form.elements.namedItem("unit_id").value) || null,
    communities: roles.includes("area_chief") ? [...chosen] : [],
  };
  const button = form.querySelector("button.primary");
  button.disabled = true;
  try {
    if (!editing.id) {
      body.username = form.elements.namedItem("username").value.trim();
      body.password = form.elements.namedItem("password").value;
      body.must_change_password = form.elements.namedItem("must_change").checked;
      const made = await api("/api/v1/admin/users", { method: "POST", body });
      editing = null;
      notice(html`<p class="msg">${t("created_ok", { u: made.username })}</p>`);
      $("#q").value = made.username;
    } else {
      body.phone = form.elements.namedItem("phone").value.trim();
      body.wecom_userid = form.elements.namedItem("wecom_userid").value.trim();
      editing = await api(`/api/v1/admin/users/${editing.id}`, { method: "PATCH", body });
      notice(html`<p class="msg">${t("saved")}</p>`);
      editing = null;
    }
    renderEditor();
    await search();
  } catch (err) {
    say(err.message, true);
    button.disabled = false;
  }
});

function notice(markup) {
  $("#notice").innerHTML = html`<div class="panel">${markup}</div>`;
}

$("#users").addEventListener("click", async (e) => {
  const act = e.target.dataset.act;
  const row = e.target.closest("tr[data-user]");
  if (!act || !row) return;
  const user = users.find((u) => u.id === Number(row.dataset.user));
  try {
    if (act === "edit") {
      await openEditor(user);
    } else if (act === "toggle") {
      await api(`/api/v1/admin/users/${user.id}`, {
        method: "PATCH",
        body: { is_active: !user.is_active },
      });
      await search();
    } else if (act === "reset") {
      if (!window.confirm(t("reset_q", { u: user.username }))) return;
      const r = await api(`/api/v1/admin/users/${user.id}/reset-password`, { method: "POST" });
      notice(
        html`<div class="secret">
          ${t("reset_done", { u: user.username })} <code>${r.temporary_password}</code>
        </div>`,
      );
      await search();
    }
  } catch (err) {
    notice(html`<p class="msg bad">${err.message}</p>`);
  }
});

$("#new").addEventListener("click", () => openEditor({ roles: [], communities: [] }));
let typing = null;
$("#q").addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(search, 250);
});
$("#role-filter").addEventListener("change", search);

page.begin();
