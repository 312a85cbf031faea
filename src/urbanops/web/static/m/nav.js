/* The citizen app's views (one shown at a time, in the history so that "back" works) and who is
   signed in. Modules say what to do when their view is shown (`onShow`) or the citizen is
   signed out (`whenSignedOut`). */
import { $, $$ } from "./ui.js";

/** The signed-in citizen (GET /api/v1/citizen/me), or null. */
export const session = { me: null };

const VIEWS = ["login", "report", "result", "mine", "case", "stations", "me"];
const REWARDS = ["points", "prizes", "vouchers", "titles", "boards"];
VIEWS.push(...REWARDS);
// views reached from another's tab: the tab they light up
const TAB_OF = Object.fromEntries([["case", "mine"], ...REWARDS.map((v) => [v, "rewards"])]);
export const tabOf = (view) => TAB_OF[view] || view;
const shownHandlers = {};
const signOutHandlers = [];

export const onShow = (view, fn) => {
  shownHandlers[view] = fn;
};
export const whenSignedOut = (fn) => {
  signOutHandlers.push(fn);
};
export const isShown = (view) => !$(`#view-${view}`).hidden;

/** Run the view's handler again if the view is on screen (its data changed). */
export const refresh = (view) => {
  if (isShown(view) && shownHandlers[view]) shownHandlers[view]();
};

export function go(name, push = true) {
  VIEWS.forEach((v) => {
    $(`#view-${v}`).hidden = v !== name;
  });
  $("#tabs").hidden = name === "login";
  $$("#tabs button").forEach((b) =>
    b.classList.toggle("on", (b.dataset.tab || b.dataset.go) === tabOf(name)),
  );
  $("#rewards-nav").hidden = tabOf(name) !== "rewards";
  $$("#rewards-nav button").forEach((b) => b.classList.toggle("on", b.dataset.go === name));
  if (push) history.pushState({ view: name }, "", `#${name}`);
  window.scrollTo(0, 0);
  if (shownHandlers[name]) shownHandlers[name]();
}

export function signedOut() {
  session.me = null;
  signOutHandlers.forEach((fn) => fn());
  go("login");
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-go]");
  if (b) go(b.dataset.go);
});
window.addEventListener("popstate", (e) => {
  if (session.me) go((e.state && e.state.view) || "report", false);
});
