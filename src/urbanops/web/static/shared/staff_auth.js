/* The staff pages' sign-in (console, field, leader, admin), in this one module: the password
   flow (POST /api/v1/auth/token) gives a bearer token kept for the tab's life in
   sessionStorage "uo_token"; every call to /api/v1 carries it and the page's language. A 401
   (the token expired, was revoked or the account disabled) signs the page out: the handlers
   given to `whenSignedOut` show the sign-in form again. Pages sign out with `signOut`. */
import { ApiError } from "./net.js";

const KEY = "uo_token";
const signOutHandlers = [];
let language = () => "zh-CN";

/** `fn()`: the page's language for Accept-Language ("en" or "zh-CN"). */
export function useLanguage(fn) {
  language = fn;
}

/** Whether a token is held (it may have expired: the next request says so with 401). */
export const signedIn = () => Boolean(sessionStorage.getItem(KEY));

/** Run `fn` on sign-out: the page's own, or the server no longer taking the token. */
export const whenSignedOut = (fn) => signOutHandlers.push(fn);

export function signOut() {
  sessionStorage.removeItem(KEY);
  signOutHandlers.forEach((fn) => fn());
}

/** Sign in with a username and password; throws ApiError with the server's reason. */
export async function signIn(username, password) {
  const r = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Accept-Language": language() },
    body: new URLSearchParams({ username, password }),
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data && typeof data === "object" ? data : {});
  sessionStorage.setItem(KEY, data.access_token);
}

function headersFor(extra) {
  return Object.assign(
    { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, "Accept-Language": language() },
    extra || {},
  );
}

/** JSON from `path` (null for 204); `opts.body` goes as JSON unless it is FormData or a
    string; `opts.headers` are added. Throws ApiError for an answer that is not 2xx (a 401
    signs the page out first), TypeError when there is no network. */
export async function api(path, opts = {}) {
  const headers = headersFor(opts.headers);
  let body = opts.body;
  if (body && !(body instanceof FormData) && typeof body !== "string") {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(path, { method: opts.method || "GET", headers, body });
  const data = r.status === 204 ? null : await r.json().catch(() => ({}));
  if (!r.ok) {
    if (r.status === 401) signOut();
    throw new ApiError(r.status, data && typeof data === "object" ? data : {});
  }
  return data;
}

/** The signed-in account (GET /api/v1/me): id, name, roles, unit. */
export const whoAmI = () => api("/api/v1/me");

/** A file from the API (an export), as a Blob. */
export async function download(path) {
  const r = await fetch(path, { headers: headersFor() });
  if (!r.ok) {
    if (r.status === 401) signOut();
    throw new ApiError(r.status, await r.json().catch(() => ({})));
  }
  return r.blob();
}
