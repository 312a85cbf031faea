/* The lists of the field app, one per kind of work the signed-in account does: a handler's
   tasks (their unit's cases waiting to be started or finished), an inspector's verifications,
   an area chief's open cases (read only). Which cases a caller gets is the server's scope
   (GET /api/v1/cases); which statuses each list takes comes from the action registry: the
   statuses in which the list's actions can be taken. */
import { distanceFromHere } from "./place.js";
import { t } from "./i18n.js";

/* Each list: who sees it (any of `roles`) and the actions whose statuses it lists; `act`:
   whether the list's cases are opened for acting on them. */
export const LISTS = [
  {
    code: "tasks",
    roles: ["handler", "unit_manager", "admin"],
    actions: ["start", "submit_result"],
    act: true,
  },
  {
    code: "verify",
    roles: ["inspector", "shift_chief", "admin"],
    actions: ["verify", "rework"],
    act: true,
  },
  { code: "area", roles: ["area_chief"], actions: [], open: true, act: false },
];

/** The lists `roles` may see, in order. */
export const listsFor = (roles) => LISTS.filter((l) => l.roles.some((r) => roles.includes(r)));

/** The statuses a list shows: where its actions may be taken, or every open status but the
    triage queue's (a case not yet accepted belongs to no area's work yet). */
export function statusesOf(list, workflow) {
  if (list.open)
    return workflow.statuses.filter((s) => s.open && s.code !== workflow.triage).map((s) => s.code);
  const out = new Set();
  for (const code of list.actions) {
    const spec = workflow.action(code);
    Object.keys((spec && spec.transitions) || {}).forEach((s) => out.add(s));
  }
  return [...out];
}

/** The cases of a list (every page of it, at most 1000). */
export async function loadList(api, list, workflow) {
  const status = statusesOf(list, workflow).join(",");
  const items = [];
  let cursor = null;
  for (let page = 1; page <= 5; page += 1) {
    const q = new URLSearchParams({ status, page_size: "200", sort: "deadline" });
    if (cursor) q.set("cursor", cursor);
    const r = await api(`/api/v1/cases?${q}`);
    items.push(...r.items);
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return items;
}

const dueTime = (c) => (c.due_at ? Date.parse(c.due_at) : Infinity);
const distance = (c) => distanceFromHere(c.lat, c.lon) ?? Infinity;

/** `cases` sorted by deadline (the nearest first among equals) or by distance (the earliest
    deadline first among equals). */
export function sortCases(cases, by) {
  const keys = by === "distance" ? [distance, dueTime] : [dueTime, distance];
  return [...cases].sort((a, b) => keys[0](a) - keys[0](b) || keys[1](a) - keys[1](b));
}

/** A duration in words: days and hours, or hours and minutes, or minutes. */
function span(ms) {
  const min = Math.floor(ms / 60000);
  const d = Math.floor(min / 1440),
    h = Math.floor((min % 1440) / 60),
    m = min % 60;
  if (d) return t("days", { n: d }) + (h ? t("hours", { n: h }) : "");
  if (h) return t("hours", { n: h }) + (m ? t("minutes", { n: m }) : "");
  return t("minutes", { n: m });
}

/** The deadline countdown: {text, level} with level "overdue", "soon" (under 4 hours) or "ok". */
export function countdown(c, now = Date.now()) {
  if (!c.due_at) return { text: t("no_deadline"), level: "none" };
  const left = Date.parse(c.due_at) - now;
  if (left < 0) return { text: t("overdue", { t: span(Math.abs(left)) }), level: "overdue" };
  return { text: t("left", { t: span(left) }), level: left < 4 * 3600000 ? "soon" : "ok" };
}
