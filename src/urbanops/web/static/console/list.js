/* The case list: filters, sorting, paging, counts, saved views and bulk dispatch, over
   GET /api/v1/cases (town, unit, matter, status, source, overdue, provisional,
   reported_from/to, q, sort, page_size, cursor → items, total, next_cursor) and
   GET /api/v1/cases/counts. A server that gives no `next_cursor` is paged by `page`; the older
   names of the filters (town_code, unit_id, matter_code) are sent too, so a server that knows
   only those still filters. Saved views are the filters and sort of this form as the list's own query
   parameters, kept per user on the server (GET/POST /api/v1/console/views, PUT/DELETE
   /api/v1/console/views/{id}), so that they follow the operator to another desk; those a
   colleague of the same unit shares are listed after one's own, read-only. Views an older
   console kept in this browser (localStorage "uo_console_views:<user id>") are moved to the
   server once. */
import { html } from "../shared/html.js";
import { api, download } from "../shared/staff_auth.js";
import { remitBadge } from "./remit.js";
import { currentLang, sourceLabel, sources, t } from "./words.js";

const $ = (s) => document.querySelector(s);
const SHANGHAI = "+08:00";

function nextDay(date) {
  const d = new Date(`${date}T00:00:00${SHANGHAI}`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

export class CaseList {
  /** `ctx`: {workflow, me, towns, units, matters, channelNames, fmt, onPick(id)}. */
  constructor(ctx) {
    this.ctx = ctx;
    this.sort = "-reported_at";
    this.pages = [null]; // the cursor (or page number) of each page seen
    this.items = [];
    this.picked = new Set();
    this.current = null;
    $("#rows").onclick = (e) => {
      if (e.target.closest("input[type=checkbox]")) return;
      const tr = e.target.closest("tr[data-id]");
      if (tr) ctx.onPick(+tr.dataset.id);
    };
    $("#rows").onchange = (e) => {
      const box = e.target.closest("input[data-pick]");
      if (!box) return;
      if (box.checked) this.picked.add(+box.dataset.pick);
      else this.picked.delete(+box.dataset.pick);
      this.bulkBar();
    };
    $("#pick-all").onchange = (e) => {
      for (const c of this.items) {
        if (e.target.checked) this.picked.add(c.id);
        else this.picked.delete(c.id);
      }
      this.render();
    };
    document.querySelectorAll("th[data-sort]").forEach((th) => {
      th.onclick = () => {
        const key = th.dataset.sort;
        this.sort = this.sort === key ? `-${key}` : key;
        this.load(true);
      };
    });
    $("#filters").onsubmit = (e) => {
      e.preventDefault();
      this.load(true);
    };
    $("#reset").onclick = () => {
      $("#filters").reset();
      this.sort = "-reported_at";
      this.load(true);
    };
    $("#f-suspected").onchange = () => this.load(true);
    $("#f-overdue").onchange = () => this.load(true);
    $("#prev").onclick = () => this.turn(-1);
    $("#next").onclick = () => this.turn(1);
    $("#page-size").onchange = () => this.load(true);
    $("#bulk-go").onclick = () => this.bulkDispatch();
    document.querySelectorAll("[data-export]").forEach((b) => {
      b.onclick = () => this.exportAs(b.dataset.export);
    });
    $("#views").onchange = () => this.applyView($("#views").value);
    $("#view-save").onclick = () => this.saveView();
    $("#view-drop").onclick = () => this.dropView();
    this.fillFilters();
    this.loadViews();
  }

  fillFilters() {
    const { workflow, towns, units, matters } = this.ctx;
    const lang = currentLang();
    const label = (s) => (lang === "en" ? s.label_en : s.label_zh);
    const codes = (list) => list.map((s) => s.code).join(",");
    const open = workflow.statuses.filter((s) => s.open);
    const stages = workflow.stages.map((stage) =>
      workflow.statuses.filter((s) => s.stage === stage),
    );
    const chosen = $("#f-status").value;
    $("#f-status").innerHTML = html`<option value="">${t("all")}</option>
      ${open.length ? html`<option value="${codes(open)}">${t("open")}</option>` : ""}
      <optgroup label="${t("by_stage")}">
        ${stages.map((list) => html`<option value="${codes(list)}">${list.map(label).join(" / ")}</option>`)}
      </optgroup>
      <optgroup label="${t("by_status")}">
        ${workflow.statuses.map((s) => html`<option value="${s.code}">${label(s)}</option>`)}
      </optgroup>`;
    $("#f-status").value = chosen;
    const keep = (sel, options) => {
      const v = sel.value;
      sel.innerHTML = html`<option value="">${t("all")}</option>
        ${options.map(([value, text]) => html`<option value="${value}">${text}</option>`)}`;
      sel.value = v;
    };
    keep($("#f-town"), Object.entries(towns));
    keep(
      $("#f-unit"),
      units.map((u) => [u.id, u.name]),
    );
    keep(
      $("#f-source"),
      sources().map((s) => [s, sourceLabel(s)]),
    );
    $("#f-matters").innerHTML =
      html`${matters.map((m) => html`<option value="${m.code} ${m.name}"></option>`)}`;
    const bulk = $("#bulk-unit").value;
    $("#bulk-unit").innerHTML = html`<option value="">${t("by_matrix")}</option>
      ${units.map((u) => html`<option value="${u.id}">${u.name}</option>`)}`;
    $("#bulk-unit").value = bulk;
    this.fillViews();
  }

  /** The form's filters (and sort) as one object: what a saved view keeps. */
  filters() {
    const v = (id) => $(id).value.trim();
    return {
      status: v("#f-status"),
      town: v("#f-town"),
      unit: v("#f-unit"),
      matter: v("#f-matter"),
      source: v("#f-source"),
      from: v("#f-from"),
      to: v("#f-to"),
      number: v("#f-number"),
      q: v("#f-q"),
      overdue: $("#f-overdue").checked,
      provisional: $("#f-provisional").checked,
      suspected: $("#f-suspected").checked,
      sort: this.sort,
    };
  }

  setFilters(f) {
    const set = (id, value) => {
      $(id).value = value || "";
    };
    set("#f-status", f.status);
    set("#f-town", f.town);
    set("#f-unit", f.unit);
    set("#f-matter", f.matter);
    set("#f-source", f.source);
    set("#f-from", f.from);
    set("#f-to", f.to);
    set("#f-number", f.number);
    set("#f-q", f.q);
    $("#f-overdue").checked = Boolean(f.overdue);
    $("#f-provisional").checked = Boolean(f.provisional);
    $("#f-suspected").checked = Boolean(f.suspected);
    this.sort = f.sort || "-reported_at";
  }

  /** The filters as the list API's query (also the map's, the counts' and the exports'). */
  query() {
    const f = this.filters();
    const q = new URLSearchParams();
    if (f.status) q.set("status", f.status);
    if (f.town) q.set("town", f.town);
    if (f.unit) q.set("unit", f.unit);
    const matter = f.matter.split(/\s+/)[0];
    if (/^[0-9]{5}$/.test(matter)) q.set("matter", matter);
    if (f.source) q.set("source", f.source);
    if (f.overdue) q.set("overdue", "true");
    if (f.provisional) q.set("provisional", "true");
    if (f.suspected) q.set("suspected", "true");
    if (f.from) q.set("reported_from", `${f.from}T00:00:00${SHANGHAI}`);
    if (f.to) q.set("reported_to", nextDay(f.to));
    // a case number is text too: `q` finds it exactly or by its beginning
    const text = [f.number, f.q].filter(Boolean).join(" ").trim();
    if (text) q.set("q", text);
    return q;
  }

  async load(fromStart = false) {
    // an answer that arrives after a newer request was sent is dropped, not drawn over it
    const asked = (this.asked = (this.asked || 0) + 1);
    if (fromStart) this.pages = [null];
    const q = this.query();
    q.set("sort", this.filters().sort);
    q.set("page_size", $("#page-size").value);
    const at = this.pages[this.pages.length - 1];
    if (typeof at === "string") q.set("cursor", at);
    const page = await api(`/api/v1/cases?${q}`);
    if (asked !== this.asked) return;
    this.items = page.items;
    this.total = page.total;
    this.next = page.next_cursor || null;
    this.render();
    this.loadCounts();
    if (this.onLoaded) this.onLoaded();
  }

  turn(step) {
    if (step > 0 && this.next != null) this.pages.push(this.next);
    else if (step < 0 && this.pages.length > 1) this.pages.pop();
    else return;
    this.load();
  }

  async loadCounts() {
    try {
      const c = await api(`/api/v1/cases/counts?${this.query()}`);
      const lang = currentLang();
      const byStatus = Object.entries(c.by_status || {});
      $("#counts").innerHTML = html`${byStatus.map(
          ([code, n]) =>
            html`<span class="count-chip"
              >${this.ctx.workflow.statusLabel(code, lang)} <b>${n}</b></span
            >`,
        )}
        <span class="count-chip bad">${t("counts_overdue")} <b>${c.overdue ?? 0}</b></span>
        <span class="count-chip warn">${t("counts_due_soon")} <b>${c.due_soon ?? 0}</b></span>`;
    } catch {
      $("#counts").innerHTML = html``;
    }
  }

  select(id) {
    this.current = id;
    document
      .querySelectorAll("#rows tr")
      .forEach((tr) => tr.classList.toggle("on", +tr.dataset.id === id));
  }

  render() {
    const { workflow, towns, matters, channelNames, fmt } = this.ctx;
    const lang = currentLang();
    const names = new Map(matters.map((m) => [m.code, m.name]));
    $("#total").textContent = t("total", { n: this.total ?? 0 });
    $("#page-no").textContent = t("page", { n: this.pages.length });
    $("#prev").disabled = this.pages.length <= 1;
    $("#next").disabled = this.next == null;
    document.querySelectorAll("th[data-sort]").forEach((th) => {
      const key = th.dataset.sort;
      th.classList.toggle("asc", this.sort === key);
      th.classList.toggle("desc", this.sort === `-${key}`);
    });
    const none = html`<tr class="none">
      <td colspan="7" class="empty">${t("no_cases")}</td>
    </tr>`;
    $("#rows").innerHTML = html`${this.items.length ? "" : none}${this.items.map(
      (c) =>
        html`<tr
          data-id="${c.id}"
          class="${c.id === this.current ? "on" : ""} ${c.overdue ? "late" : ""}"
        >
          <td class="pick">
            <input
              type="checkbox"
              data-pick="${c.id}"
              ${this.picked.has(c.id) ? html`checked` : ""}
            />
          </td>
          <td>${c.number}</td>
          <td>
            <span class="badge ${c.status}"
              >${workflow.statusLabel(c.status, lang, c.status_label)}</span
            >
          </td>
          <td>
            ${names.get(c.matter_code) || c.matter_code || t("unclassified")}
            ${remitBadge(c, workflow, channelNames)}
          </td>
          <td>${towns[c.town_code] || ""}</td>
          <td>${fmt(c.reported_at)}</td>
          <td class="${c.overdue ? "overdue" : ""}">
            ${c.due_at ? html`<span data-due="${c.due_at}"></span>` : "—"}
          </td>
        </tr>`,
    )}`;
    this.bulkBar();
  }

  bulkBar() {
    $("#bulk").hidden = this.picked.size === 0;
    $("#bulk-count").textContent = t("picked", { n: this.picked.size });
  }

  /** 批量派遣: each picked case that may be dispatched (or redispatched) now, to the unit
      chosen or by the responsibility matrix. */
  async bulkDispatch() {
    const { workflow } = this.ctx;
    const unit = $("#bulk-unit").value;
    const body = unit ? { unit_id: +unit } : {};
    const byId = new Map(this.items.map((c) => [c.id, c]));
    let ok = 0;
    let bad = 0;
    for (const id of this.picked) {
      const c = byId.get(id) || (await api(`/api/v1/cases/${id}`).catch(() => null));
      const action = ["dispatch", "redispatch"].find((a) => {
        const spec = workflow.action(a);
        return c && spec && c.status in spec.transitions;
      });
      try {
        if (!action) throw new Error("not dispatchable");
        await api(`/api/v1/cases/${id}/actions/${action}`, { method: "POST", body });
        ok += 1;
      } catch {
        bad += 1;
      }
    }
    this.picked.clear();
    await this.load();
    $("#bulk").hidden = false;
    $("#bulk-count").textContent = "";
    $("#bulk-msg").textContent = t("bulk_done", { ok, bad });
  }

  /** The list with these filters as a file (GET /api/v1/cases/export.{format}); fetched with
      the bearer token, which a plain link could not send. */
  async exportAs(format) {
    try {
      const q = this.query();
      q.set("sort", this.filters().sort);
      const blob = await download(`/api/v1/cases/export.${format}?${q}`);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `cases.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      $("#bulk-msg").textContent = "";
    } catch (error) {
      $("#total").textContent = error.message;
    }
  }

  // --- saved views (on the server, per user; a unit's shared ones too) ---
  /** The form's filters as a view's: the list API's own query parameters (dates as days). */
  viewParams(f = this.filters()) {
    const p = { sort: f.sort };
    for (const key of ["status", "town", "source"]) if (f[key]) p[key] = f[key];
    if (f.unit) p.unit = +f.unit;
    const matter = f.matter.split(/\s+/)[0];
    if (/^[0-9]{5}$/.test(matter)) p.matter = matter;
    for (const key of ["overdue", "provisional", "suspected"]) if (f[key]) p[key] = true;
    if (f.from) p.reported_from = f.from;
    if (f.to) p.reported_to = f.to;
    const text = [f.number, f.q].filter(Boolean).join(" ").trim();
    if (text) p.q = text;
    return p;
  }

  /** A view's parameters as the form's filters. */
  viewFilters(p) {
    const name = this.ctx.matters.find((m) => m.code === p.matter)?.name;
    const day = (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v || "") ? v : "");
    return {
      ...p,
      unit: p.unit ? String(p.unit) : "",
      matter: p.matter ? [p.matter, name].filter(Boolean).join(" ") : "",
      from: day(p.reported_from),
      to: day(p.reported_to),
    };
  }

  async loadViews() {
    try {
      await this.importLocalViews();
      this.savedViews = await api("/api/v1/console/views");
    } catch {
      this.savedViews = this.savedViews || [];
    }
    this.fillViews();
  }

  /** Views an older console kept in this browser (localStorage) are saved on the server once,
      then removed from the browser; a name already saved there is kept as it is. */
  async importLocalViews() {
    const key = `uo_console_views:${this.ctx.me.id}`;
    let old;
    try {
      old = JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      old = {};
    }
    if (old == null) return;
    for (const [name, f] of Object.entries(old || {})) {
      const filters = this.viewParams({ ...this.filters(), ...f, sort: f.sort || "-reported_at" });
      try {
        await api("/api/v1/console/views", { method: "POST", body: { name, filters } });
      } catch (error) {
        if (!error.status) throw error; // no answer: try again next time
      }
    }
    localStorage.removeItem(key);
  }

  fillViews(chosen = $("#views").value) {
    const all = this.savedViews || [];
    const label = (v) => (v.mine ? v.name : `${v.name}（${v.owner}）`);
    $("#views").innerHTML = html`<option value="">${t("views")}</option>
      ${all.map((v) => html`<option value="${v.id}">${label(v)}</option>`)}`;
    $("#views").value = all.some((v) => String(v.id) === String(chosen)) ? chosen : "";
    const picked = this.view($("#views").value);
    $("#view-drop").disabled = !picked || !picked.mine;
  }

  view(id) {
    return (this.savedViews || []).find((v) => String(v.id) === String(id));
  }

  async saveView() {
    const picked = this.view($("#views").value);
    const suggested = picked && picked.mine ? picked.name : "";
    const name = (window.prompt(t("view_name"), suggested) || "").trim();
    if (!name) return;
    const same = (this.savedViews || []).find((v) => v.mine && v.name === name);
    const body = { name, filters: this.viewParams(), shared: same ? same.shared : false };
    try {
      const saved = same
        ? await api(`/api/v1/console/views/${same.id}`, { method: "PUT", body })
        : await api("/api/v1/console/views", { method: "POST", body });
      await this.loadViews();
      this.fillViews(saved.id);
      $("#view-msg").textContent = t("view_saved");
    } catch (error) {
      $("#view-msg").textContent = error.message;
    }
  }

  async dropView() {
    const picked = this.view($("#views").value);
    if (!picked || !picked.mine) return;
    try {
      await api(`/api/v1/console/views/${picked.id}`, { method: "DELETE" });
    } catch (error) {
      if (error.status !== 404) {
        $("#view-msg").textContent = error.message;
        return;
      }
    }
    await this.loadViews();
    this.fillViews("");
  }

  applyView(id) {
    const picked = this.view(id);
    $("#view-drop").disabled = !picked || !picked.mine;
    if (!picked) return;
    this.setFilters(this.viewFilters(picked.filters));
    this.load(true);
  }
}
