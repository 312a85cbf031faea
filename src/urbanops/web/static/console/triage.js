/* The live triage queue: reports that need a clerk, pushed by the server as they are committed
   (server-sent events, GET /api/v1/triage/stream). EventSource sends no headers, so the page
   asks for a short-lived ticket with its bearer token (POST /api/v1/triage/ticket) and opens
   the stream with it. When the stream ends (the server closes it every few minutes, or the
   network drops) the page takes a new ticket and reopens it after the last case it received
   (`after`), so nothing committed in between is lost; cases are kept once, by id. */
import { html } from "../shared/html.js";
import { api } from "../shared/staff_auth.js";
import { remitBadge } from "./remit.js";
import { t } from "./words.js";

const RECONNECT_MS = 1000;
const FRESH_MS = 8000; // how long a newly arrived case stays marked

export class TriageQueue {
  /** `opts`: {list, count, live, workflow, channelNames, towns, onPick(id), fmt(iso)}. */
  constructor(opts) {
    Object.assign(this, opts);
    this.items = new Map();
    this.arrived = new Map();
    this.lastId = null;
    this.source = null;
    this.stopped = true;
    this.current = null;
    this.isLive = false;
    this.list.onclick = (e) => {
      const li = e.target.closest("li[data-id]");
      if (li) this.onPick(+li.dataset.id);
    };
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.source) this.source.close();
    this.source = null;
    this.items.clear();
    this.lastId = null;
    this.render();
  }

  async connect() {
    if (this.stopped) return;
    let ticket;
    try {
      ticket = (await api("/api/v1/triage/ticket", { method: "POST" })).ticket;
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    const q = new URLSearchParams({ ticket });
    if (this.lastId) q.set("after", this.lastId);
    const source = new EventSource(`/api/v1/triage/stream?${q}`);
    this.source = source;
    source.addEventListener("open", () => this.setLive(true));
    source.addEventListener("case", (e) => {
      this.lastId = e.lastEventId || this.lastId;
      const c = JSON.parse(e.data);
      if (!this.items.has(c.id)) this.arrived.set(c.id, Date.now());
      this.items.set(c.id, c);
      this.render();
    });
    source.addEventListener("gone", (e) => this.drop(JSON.parse(e.data).id));
    source.onerror = () => {
      this.setLive(false);
      source.close();
      if (this.source === source) this.retry();
    };
  }

  retry() {
    if (!this.stopped) setTimeout(() => this.connect(), RECONNECT_MS);
  }

  setLive(on = this.isLive) {
    this.isLive = on;
    this.live.classList.toggle("off", !on);
    this.live.textContent = t(on ? "live_on" : "live_off");
  }

  /** A case left triage (taken up here or by another clerk). */
  drop(id) {
    if (this.items.delete(id)) this.render();
  }

  select(id) {
    this.current = id;
    this.render();
  }

  render() {
    this.setLive();
    const cases = [...this.items.values()].sort((a, b) => b.id - a.id);
    this.count.textContent = String(cases.length);
    const now = Date.now();
    const item = (c) => {
      const fresh = now - (this.arrived.get(c.id) || 0) < FRESH_MS;
      const cls = [c.id === this.current ? "on" : "", fresh ? "fresh" : ""].join(" ");
      return html`<li data-id="${c.id}" data-number="${c.number}" class="${cls}">
        <div class="row1"><b>${c.number}</b><small>${this.fmt(c.reported_at)}</small></div>
        <div class="desc">${c.description || t("no_description")}</div>
        <div class="row2">
          <span class="muted">${this.towns[c.town_code] || ""}</span>
          ${remitBadge(c, this.workflow, this.channelNames)}
        </div>
      </li>`;
    };
    const none = html`<li class="empty">${t("triage_empty")}</li>`;
    this.list.innerHTML = html`${cases.length ? cases.map(item) : none}`;
  }
}
