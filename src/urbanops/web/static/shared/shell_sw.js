/* What the pages' service workers share (loaded with importScripts): the app shell is cached at
   install and served network-first, so updates arrive at once and the app still opens offline;
   API calls other than the shell's reads always go to the network (unsent work is kept by the
   page itself, in IndexedDB). Browsers run service workers only in a secure context: https, or
   http on localhost / 127.0.0.1. */
/* exported shellWorker */

/** Cache `shell` (paths) as `cacheName` ("<app>-v<n>"; older versions of the same app's cache
    are dropped, other apps' caches kept) and serve it network-first. */
function shellWorker(cacheName, shell) {
  const older = cacheName.replace(/v\d+$/, "v");
  self.addEventListener("install", (e) => {
    e.waitUntil(
      caches
        .open(cacheName)
        .then((c) => c.addAll(shell))
        .then(() => self.skipWaiting()),
    );
  });
  self.addEventListener("activate", (e) => {
    e.waitUntil(
      caches
        .keys()
        .then((keys) =>
          Promise.all(
            keys.filter((k) => k.startsWith(older) && k !== cacheName).map((k) => caches.delete(k)),
          ),
        )
        .then(() => self.clients.claim()),
    );
  });
  self.addEventListener("fetch", (e) => {
    const url = new URL(e.request.url);
    if (e.request.method !== "GET" || url.origin !== location.origin) return;
    if (!shell.includes(url.pathname) && !url.pathname.startsWith("/static/")) return;
    // only good answers replace what is cached; on a server error the cached copy is used
    const cached = () => caches.match(e.request, { ignoreSearch: true });
    e.respondWith(
      fetch(e.request)
        .then((r) => {
          if (!r.ok) return cached().then((c) => c || r);
          const copy = r.clone();
          caches.open(cacheName).then((c) => c.put(e.request, copy));
          return r;
        })
        .catch(cached),
    );
  });
}
