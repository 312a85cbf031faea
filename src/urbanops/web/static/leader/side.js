/* The side of the leaders' page: overdue counts as plain HTML bars (<meter> elements styled by
   CSS: no inline style, which the CSP refuses) by town, and a table with bars by unit; and the
   leader's inbox (mark one or all read). */
import { html } from "../shared/html.js";

const bar = (n, most) => html`<meter min="0" max="${most}" value="${n}">${n}</meter>`;

export function townBars(ctx) {
  const rows = (ctx.state.counts && ctx.state.counts.by_town) || [];
  if (!rows.length) return html`<p class="muted">${ctx.t("no_overdue")}</p>`;
  const most = Math.max(...rows.map((r) => r.overdue));
  return html`${rows.map(
    (r) =>
      html`<div class="barrow" title="${r.name}: ${r.overdue}">
        <span class="name">${r.name}</span>${bar(r.overdue, most)}<b>${r.overdue}</b>
      </div>`,
  )}`;
}

export function unitTable(ctx) {
  const rows = (ctx.state.counts && ctx.state.counts.by_unit) || [];
  if (!rows.length) return html`<p class="muted">${ctx.t("no_overdue")}</p>`;
  const most = Math.max(...rows.map((r) => r.overdue));
  return html`<table class="units">
    <thead>
      <tr>
        <th>${ctx.t("unit")}</th>
        <th class="n">${ctx.t("tile_overdue")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            <td>${r.name}</td>
            <td class="n">${r.overdue}</td>
            <td class="b">${bar(r.overdue, most)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function inboxList(ctx) {
  const items = (ctx.state.inbox && ctx.state.inbox.items) || [];
  if (!items.length) return html`<li class="muted">${ctx.t("inbox_empty")}</li>`;
  return html`${items.map(
    (n) =>
      html`<li class="${n.read ? "read" : "unread"}" data-id="${n.id}">
        <div><b>${n.title}</b> <small>${ctx.fmt(n.created_at)}</small></div>
        <div class="body">${n.body}</div>
        ${n.read ? "" : html`<button type="button" class="link" data-read>${ctx.t("mark_read")}</button>`}
      </li>`,
  )}`;
}

/** Mark one notification read, or all of them; then read the page again. */
export function bindInbox(list, readAll, ctx) {
  list.addEventListener("click", async (e) => {
    const li = e.target.closest("li[data-id]");
    if (!li || !e.target.closest("[data-read]")) return;
    await ctx.api(`/api/v1/inbox/${li.dataset.id}/read`, { method: "POST" });
    await ctx.refresh();
  });
  readAll.addEventListener("click", async () => {
    await ctx.api("/api/v1/inbox/read-all", { method: "POST" });
    await ctx.refresh();
  });
}
