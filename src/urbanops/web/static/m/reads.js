/* The rewards views' reads (points, prizes, vouchers, titles, boards): each shows a loading,
   error or offline line in its `#<view>-state` element while it has nothing better, renders
   the answer, and keeps the last good answer on the phone so that the view still shows it —
   marked with its time — when there is no network. Kept answers are dropped at sign-out. */
import { html } from "../shared/html.js";
import { fmt, t } from "./i18n.js";
import { signedOut, whenSignedOut } from "./nav.js";
import { api, isNetworkError, outcomeOf } from "./net.js";
import { kvDeletePrefix, kvGet, kvPut } from "./store.js";
import { $ } from "./ui.js";

const retries = {};

/** The view's state line: `kind` "loading" | "offline" | "error" (with a retry button), or
    null to hide it. */
export function setState(view, kind, text) {
  const el = $(`#${view}-state`);
  if (!kind) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  el.className = `state ${kind}`;
  el.innerHTML = html`<span>${text}</span>${
      kind === "error"
        ? html`<button class="link inline" type="button" data-retry="${view}">
            ${t("retry")}
          </button>`
        : ""
    }`;
  el.hidden = false;
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-retry]");
  if (b && retries[b.dataset.retry]) retries[b.dataset.retry]();
});

/** GET `path` for `view` and `render(data, {offline, at})` it; the promise gives the data
    (the kept copy when offline) or null. `retry` reloads the whole view. A view's further
    reads in the same load pass `{ then: true }`: they leave its state line as the first left
    it unless they fail themselves. */
export async function read(view, path, render, retry, { then = false } = {}) {
  if (retry) retries[view] = retry;
  const el = $(`#${view}-state`);
  if (!then && (el.hidden || !el.classList.contains("offline")))
    setState(view, "loading", t("loading"));
  try {
    const data = await api(path);
    if (!then) setState(view, null);
    render(data, { offline: false });
    kvPut(`read:${path}`, { data, at: new Date().toISOString() }).catch(() => {});
    return data;
  } catch (e) {
    if (outcomeOf(e) === "auth") {
      signedOut();
      return null;
    }
    if (!isNetworkError(e)) {
      setState(view, "error", e.message || t("error"));
      return null;
    }
    const kept = await kvGet(`read:${path}`).catch(() => null);
    if (!kept) {
      setState(view, "offline", t("offline_none"));
      return null;
    }
    setState(view, "offline", t("offline_copy", { t: fmt(kept.at) }));
    render(kept.data, { offline: true, at: kept.at });
    return kept.data;
  }
}

whenSignedOut(() => kvDeletePrefix("read:").catch(() => {}));
