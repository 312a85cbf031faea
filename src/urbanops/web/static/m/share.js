/* Share links (助攻): `/m/?ref=<share code>` brings a friend to the app. The code is kept on the
   phone (localStorage) from the moment the link is opened until a sign-in has carried it to
   `POST /api/v1/citizen/session` (the server counts it only for a citizen who is new), and
   taken out of the address so that a bookmark or a reshare does not repeat it. */

const KEY = "uo_ref";
const CODE = /^[A-Za-z0-9]{4,16}$/;

/** Keep the `ref` of the address (when it looks like a share code) and drop it from the URL. */
export function keepInvite() {
  const url = new URL(location.href);
  const ref = url.searchParams.get("ref");
  if (ref === null) return;
  if (CODE.test(ref)) localStorage.setItem(KEY, ref.toUpperCase());
  url.searchParams.delete("ref");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

/** The share code that brought this phone here, or null. */
export const invitedBy = () => localStorage.getItem(KEY);

export const forgetInvite = () => localStorage.removeItem(KEY);

/** The link that shares the app with `code` (on this server). */
export const shareLink = (code) => `${location.origin}/m/?ref=${encodeURIComponent(code)}`;
