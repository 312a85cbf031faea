/* What the field app's modules share: the signed-in account, the registry, the lists and the
   case on screen, the outbox's items; the views shown one at a time; the toast; words for
   statuses, actions and matters; the status a case will be in once its waiting actions go. */
import { Workflow } from "../shared/workflow.js";
import { lang } from "./i18n.js";

export const $ = (s) => document.querySelector(s);
export const $$ = (s) => Array.from(document.querySelectorAll(s));

export const state = {
  me: null,
  workflow: new Workflow(null),
  matters: new Map(),
  lists: [],
  list: null,
  cases: [],
  sort: "due",
  current: null, // {detail, reports}
  pending: [], // the outbox's items
};

let toastTimer;
export function toast(msg) {
  const el = $("#toast");
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

export function show(view) {
  ["login", "list", "task"].forEach((v) => {
    $(`#view-${v}`).hidden = v !== view;
  });
  $("#logout").hidden = view === "login";
  window.scrollTo(0, 0);
}

export const statusLabel = (code) => state.workflow.statusLabel(code, lang());
export const actionLabel = (code) => state.workflow.actionLabel(code, lang());
export const matterName = (c) =>
  state.matters.get(c.matter_code) || c.matter_name || c.matter_code || "";

/* The status a case will be in once the actions waiting in the outbox for it are taken. */
export function expectedStatus(c) {
  let status = c.status;
  for (const item of state.pending.filter((i) => i.case_id === c.id && i.state !== "rejected")) {
    const spec = state.workflow.action(item.action);
    status = (spec && spec.transitions[status]) || status;
  }
  return status;
}
export const waiting = (c) =>
  state.pending.filter((i) => i.case_id === c.id && i.state !== "rejected");
