/* The staff sign-in of the field app, in this one module: the bearer token from
   POST /api/v1/auth/token kept in sessionStorage "uo_token" (as the console keeps it), and every
   request to /api/v1 with it and the page's language. Moving to cookie sessions changes this
   module only. */
import { ApiError } from "../shared/net.js";
import { lang } from "./i18n.js";

const KEY = "uo_token";
const signOutHandlers = [];

/** Whether a token is held (it may have expired: the next request says so with 401). */
export const signedIn = () => Boolean(sessionStorage.getItem(KEY));

/** Run `fn` when the server says the token is no longer good, or on sign-out. */
export const whenSignedOut = (fn) => signOutHandlers.push(fn);

export function signOut() {
  sessionStorage.removeItem(KEY);
  signOutHandlers.forEach((fn) => fn());
}

const languageHeader = () => (lang() === "en" ? "en" : "zh-CN");

/** Sign in with a username and password; throws ApiError with the server's reason. */
export async function signIn(username, password) {
  const r = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Accept-Language": languageHeader() },
    body: new URLSearchParams({ username, password }),
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data);
  sessionStorage.setItem(KEY, data.access_token);
}

/** JSON from `path`; `opts.body` goes as JSON unless it is FormData; `opts.headers` are added.
    Throws ApiError for an answer that is not 2xx, TypeError when there is no network. */
export async function api(path, opts = {}) {
  const headers = Object.assign(
    { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, "Accept-Language": languageHeader() },
    opts.headers || {},
  );
  let body = opts.body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(path, { method: opts.method || "GET", headers, body });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    if (r.status === 401) signOut();
    throw new ApiError(r.status, data && typeof data === "object" ? data : {});
  }
  return data;
}

/** A photo uploaded for a case action (POST /api/v1/photos): {id, url, thumb_url, …}. */
export function uploadPhoto(blob, name) {
  const fd = new FormData();
  fd.append("photo", blob, name || "photo.jpg");
  return api("/api/v1/photos", { method: "POST", body: fd });
}
