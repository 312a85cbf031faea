/* Calls to /api/v1 with the staff bearer token (sessionStorage "uo_token", from
   POST /api/v1/auth/token) in the page's language; a 401 signs the page out. */
import { acceptLanguage } from "./words.js";

let token = sessionStorage.getItem("uo_token");
let onSignedOut = () => {};

export const signedIn = () => Boolean(token);

export function setToken(value) {
  token = value;
  if (value) sessionStorage.setItem("uo_token", value);
  else sessionStorage.removeItem("uo_token");
}

/** What to do when the server no longer accepts the token. */
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

/** An API error: the server's words (`detail`), its `code` and HTTP status. */
export class ApiError extends Error {
  constructor(status, data) {
    super(data.detail || data.title || `HTTP ${status}`);
    this.status = status;
    this.code = data.code;
    this.field = data.field;
  }
}

/** A call; a plain object body is sent as JSON. Resolves to the JSON answer (or null). */
export async function api(path, opts = {}) {
  const headers = { Authorization: `Bearer ${token}`, "Accept-Language": acceptLanguage() };
  let body = opts.body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(path, { method: opts.method || "GET", headers, body });
  const data = r.status === 204 ? null : await r.json().catch(() => ({}));
  if (r.status === 401) {
    onSignedOut();
    throw new ApiError(401, data || {});
  }
  if (!r.ok) throw new ApiError(r.status, data || {});
  return data;
}

/** A file from the API (an export), as a Blob. */
export async function download(path) {
  const headers = { Authorization: `Bearer ${token}`, "Accept-Language": acceptLanguage() };
  const r = await fetch(path, { headers });
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => ({})));
  return r.blob();
}

/** Sign in with the password flow; the token is kept for the tab's life. */
export async function signIn(username, password) {
  const r = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Accept-Language": acceptLanguage() },
    body: new URLSearchParams({ username, password }),
  });
  const d = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, d);
  setToken(d.access_token);
}

export async function uploadPhoto(file) {
  const fd = new FormData();
  fd.append("photo", file, file.name || "photo.jpg");
  return (await api("/api/v1/photos", { method: "POST", body: fd })).id;
}
