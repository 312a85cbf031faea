/* The citizen app's requests to /api/v1 (session cookie, the citizen's language), and what to
   do when one fails. */
import { ApiError, failureKind, isNetworkError } from "../shared/net.js";
import { lang, t } from "./i18n.js";

export { ApiError, isNetworkError };

const DEVICE_KEY = "urbanops.device";

/* This phone's own random id, kept in localStorage and sent as X-Device-Id: the rewards count
   points per device as well as per account. None when storage is unavailable. */
export function deviceId() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return null;
  }
}

/** JSON from `path`; `opts.body` goes as JSON unless it is FormData. Throws ApiError, or a
    TypeError when the network is down. */
export async function api(path, opts = {}) {
  const device = deviceId();
  const headers = Object.assign(
    { "Accept-Language": lang === "en" ? "en" : "zh-CN" },
    device ? { "X-Device-Id": device } : {},
    opts.headers || {},
  );
  let body = opts.body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(path, {
    method: opts.method || "GET",
    headers,
    body,
    credentials: "same-origin",
  });
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data && typeof data === "object" ? data : {});
  return data;
}

export const errorText = (e) => (isNetworkError(e) ? t("no_network") : e.message);

/* What to do with a failed send: "retry" (network, 408/425/429, 5xx: try again later), "auth"
   (signed out: keep it until signed in), "sent" (409: the idempotency key was already used, so
   the report is in), or "rejected" (any other 4xx: the citizen must change it). */
export function outcomeOf(e) {
  const kind = failureKind(e);
  if (kind === "network") return "retry";
  return kind === "conflict" ? "sent" : kind;
}

/** A photo uploaded for a report or a dispute: {id, url, thumb_url, gps?}. */
export async function uploadPhoto(file) {
  const fd = new FormData();
  fd.append("photo", file, file.name || "photo.jpg");
  return api("/api/v1/citizen/photos", { method: "POST", body: fd });
}
