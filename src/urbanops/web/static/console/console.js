/* 指挥中心: the command centre's work list and case actions over /api/v1 (bearer token in sessionStorage). */
(() => {
  "use strict";
  const $ = (s) => document.querySelector(s);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // photo links: this platform's media paths, or https links (the API shows only those on the
  // origins its settings allow); any other value is never put in src/href
  const MEDIA = /^\/media\/[0-9a-f]{32}(_t)?\.jpg$/;
  const safeUrl = (u) => {
    if (typeof u !== "string" || u.length > 2048) return null;
    if (MEDIA.test(u)) return u;
    try { const url = new URL(u); return url.protocol === "https:" && !url.username && !url.password ? url.href : null; }
    catch (e) { return null; }
  };
  const thumbOf = (u) => MEDIA.test(u) && !u.endsWith("_t.jpg") ? u.replace(/\.jpg$/, "_t.jpg") : u;
  const photoLinks = (list) => (list || []).map(safeUrl).filter(Boolean)
    .map((u) => `<a href="${esc(u)}" target="_blank" rel="noopener noreferrer"><img src="${esc(thumbOf(u))}" alt="" loading="lazy"></a>`).join("");
  const fmt = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";
  let token = sessionStorage.getItem("uo_token"), units = [], towns = {}, current = null;
  async function api(path, opts = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    if (opts.body) headers["Content-Type"] = "application/json";
    const r = await fetch(path, { method: opts.method || "GET", headers, body: opts.body && JSON.stringify(opts.body) });
    const data = await r.json().catch(() => ({}));
    if (r.status === 401) { logout(); throw new Error(data.detail || "请重新登录"); }
    if (!r.ok) throw new Error(data.detail || data.title || `HTTP ${r.status}`);
    return data;
  }
  function logout() { token = null; sessionStorage.removeItem("uo_token"); $("#work").hidden = true; $("#logout").hidden = true; $("#login").hidden = false; $("#who").textContent = ""; }
  $("#logout").onclick = logout;
  $("#login").onsubmit = async (e) => {
    e.preventDefault();
    const r = await fetch("/api/v1/auth/token", { method: "POST", body: new URLSearchParams({ username: $("#u").value, password: $("#p").value }) });
    const d = await r.json();
    if (!r.ok) { $("#login-err").textContent = d.detail; $("#login-err").hidden = false; return; }
    token = d.access_token; sessionStorage.setItem("uo_token", token); start();
  };
  async function start() {
    try {
      const me = await api("/api/v1/me");
      $("#who").textContent = `${me.name}（${me.roles.join("、")}）`;
    } catch (e) { return logout(); }
    $("#login").hidden = true; $("#work").hidden = false; $("#logout").hidden = false;
    units = await api("/api/v1/units");
    (await api("/api/v1/towns")).forEach((t) => { towns[t.code] = t.name; $("#f-town").add(new Option(t.name, t.code)); });
    load();
  }
  async function load() {
    const q = new URLSearchParams({ page_size: "100" });
    if ($("#f-status").value) q.set("status", $("#f-status").value);
    if ($("#f-town").value) q.set("town_code", $("#f-town").value);
    if ($("#f-overdue").checked) q.set("overdue", "true");
    if ($("#f-number").value.trim()) q.set("number", $("#f-number").value.trim());
    const page = await api(`/api/v1/cases?${q}`);
    $("#total").textContent = `共 ${page.total} 件`;
    $("#rows").innerHTML = page.items.map((c) => `<tr data-id="${c.id}" class="${c.id === current ? "on" : ""}">
      <td>${esc(c.number)}</td><td><span class="badge ${esc(c.status)}">${esc(c.status_label)}</span></td>
      <td>${esc(c.matter_code || "未分类")}</td><td>${esc(towns[c.town_code] || "")}</td>
      <td class="${c.overdue ? "overdue" : ""}">${fmt(c.due_at)}</td></tr>`).join("");
  }
  $("#refresh").onclick = load;
  $("#rows").onclick = (e) => { const tr = e.target.closest("tr[data-id]"); if (tr) show(+tr.dataset.id); };
  const NEEDS = {
    accept: ["matter_code"], dispatch: ["unit_id"], redispatch: ["unit_id", "note"], return: ["reason"], park: ["reason"],
    submit_result: ["note"], rework: ["reason"], reopen: ["reason"], merge: ["into_case_id", "note"], void: ["reason"],
    rate: ["rating", "comment"], urge: ["note"], escalate: ["note"], request_extension: ["amount", "unit", "reason"],
    approve_extension: ["note"], reject_extension: ["note"], verify: ["note"], unpark: ["note"],
  };
  const LABEL = { accept: "受理", register: "立案", dispatch: "派遣", redispatch: "改派", start: "开始处置", return: "退回",
    park: "挂账", unpark: "解除挂账", submit_result: "处置反馈", verify: "核查结案", rework: "返工", reopen: "重新打开",
    merge: "并案", void: "作废", rate: "评价", urge: "督办", escalate: "提级", request_extension: "申请延期",
    approve_extension: "批准延期", reject_extension: "驳回延期" };
  function field(name) {
    if (name === "unit_id") return `<select name="unit_id"><option value="">按责任矩阵</option>${units.map((u) => `<option value="${u.id}">${esc(u.name)}</option>`).join("")}</select>`;
    if (name === "unit") return `<select name="unit"><option value="working_days">工作日</option><option value="working_hours">工作小时</option><option value="natural_hours">自然小时</option></select>`;
    const ph = { matter_code: "事项代码（5 位）", reason: "原因", note: "说明", into_case_id: "并入案件 ID", rating: "评分 1–5", comment: "评价内容", amount: "时长" }[name];
    return `<input name="${name}" placeholder="${ph}">`;
  }
  async function show(id) {
    current = id;
    document.querySelectorAll("#rows tr").forEach((tr) => tr.classList.toggle("on", +tr.dataset.id === id));
    const c = await api(`/api/v1/cases/${id}`);
    const reports = await api(`/api/v1/cases/${id}/reports`).catch(() => []);
    const acts = c.allowed_actions.filter((a) => LABEL[a]);
    $("#detail").innerHTML = `<h3>${esc(c.number)} <span class="badge ${esc(c.status)}">${esc(c.status_label)}</span></h3>
      <p>${esc(c.description) || '<span class="muted">（无描述）</span>'}</p>
      <dl><dt>事项</dt><dd>${esc(c.matter_name || "未分类")}</dd><dt>位置</dt><dd>${esc(c.town_name || "")} · 网格 ${esc(c.grid_cell_code || "—")}</dd>
      <dt>处置单位</dt><dd>${esc(c.unit_name || "—")}</dd><dt>当前时限</dt><dd class="${c.overdue ? "overdue" : ""}">${fmt(c.due_at)}${c.deadline_unknown ? "（节假日安排未发布）" : ""}${c.deadline_provisional ? "（暂按工作日计算）" : ""}</dd>
      <dt>上报人</dt><dd>${reports.map((r) => `${esc(r.reporter_name || "—")} ${esc(r.phone_masked)}${r.is_supporter ? "（附议）" : ""}`).join("<br>") || "—"}</dd></dl>
      <div class="photos">${photoLinks(reports.flatMap((r) => r.media))}</div>
      <div class="actions">${acts.map((a) => `<button data-act="${a}" class="${["void", "return", "escalate"].includes(a) ? "warn" : ""}">${LABEL[a]}</button>`).join("")}</div>
      <div id="act-form"></div><p id="act-err" class="err" hidden></p>
      <h4>办理过程</h4><ol class="tl">${c.timeline.map((e) => `<li><b>${esc(e.action_label)}</b> <small>${fmt(e.at)} · ${esc(e.actor_label)}</small>${e.note ? `<div>${esc(e.note)}</div>` : ""}${(e.attachments || []).length ? `<div class="photos">${photoLinks(e.attachments)}</div>` : ""}</li>`).join("")}</ol>`;
    $("#detail").querySelectorAll("[data-act]").forEach((b) => { b.onclick = () => form(b.dataset.act); });
  }
  function form(action) {
    const names = NEEDS[action] || [];
    $("#act-form").innerHTML = `<form class="form"><b>${LABEL[action]}</b>${names.map(field).join("")}<button class="primary">确认${LABEL[action]}</button></form>`;
    $("#act-form form").onsubmit = async (e) => {
      e.preventDefault();
      const body = {};
      new FormData(e.target).forEach((v, k) => { if (v !== "") body[k] = ["unit_id", "into_case_id", "rating"].includes(k) ? +v : k === "amount" ? parseFloat(v) : v; });
      try { await api(`/api/v1/cases/${current}/actions/${action}`, { method: "POST", body }); await show(current); load(); }
      catch (err) { $("#act-err").textContent = err.message; $("#act-err").hidden = false; }
    };
  }
  if (token) start(); else logout();
})();
