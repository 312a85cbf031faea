/* What the field app's modules share: the signed-in account, the registry, the lists and the
   case on screen, the outbox's items; the views shown one at a time; the toast; words for
   statuses, actions and matters; the status a case will be in once its waiting actions go. */
import { Workflow } from "../shared/workflow.js";
import { lang, t } from "./i18n.js";

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
  listAt: null, // offline: when the list shown was read (kept on the phone)
  caseAt: null, // ... and the case shown
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

/** The line "离线，数据截至 HH:MM" (Dongguan time) over what was read at `at` and kept on the
    phone, or hidden when `at` is null (read from the server just now). */
export function asOf(el, at) {
  el.hidden = !at;
  const time = (iso) =>
    new Date(iso).toLocaleTimeString("zh-CN", {
      timeZone: "Asia/Shanghai",
      hour12: false,
      hour: "2-digit",
      minute: "2-digit",
    });
  el.textContent = at ? t("offline_as_of", { t: time(at) }) : "";
}
