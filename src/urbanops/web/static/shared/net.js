/* What the pages share about a request that failed: the server's problem+json answer as an
   error, and what a page that keeps unsent work (an outbox) should make of it. */

/** An answer that was not 2xx: its status and problem+json body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body.code; // the problem's stable code
    this.field = body.field;
  }
}

/** Whether the request never got an answer (fetch threw: no network). */
export const isNetworkError = (e) => !(e instanceof ApiError);

/* The kind of a failure: "network" (no answer), "auth" (401: signed out), "conflict" (409),
   "retry" (408/425/429, 5xx: the server could not take it now) or "rejected" (any other 4xx:
   the request itself must change). */
export function failureKind(e) {
  if (isNetworkError(e)) return "network";
  const s = e.status;
  if (s === 401) return "auth";
  if (s === 409) return "conflict";
  if (s === 408 || s === 425 || s === 429 || s >= 500) return "retry";
  return "rejected";
}
