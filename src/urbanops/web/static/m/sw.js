// Service worker of the citizen app: the shell works offline; API calls always go to the network
// (drafts and unsent reports are kept by the page itself in IndexedDB). Browsers run it only in a
// secure context: https, or http on localhost / 127.0.0.1.
const CACHE = "urbanops-m-v2";
// the app's modules (m/app.js and what it imports), and the reads it needs before any input
const MODULES = ["app", "i18n", "maps", "mine", "nav", "net", "outbox", "place", "problems"]
  .concat(["report", "store", "ui", "what"])
  .map((name) => `/static/app/m/${name}.js`);
const SHELL = [
  "/m/",
  "/static/app/m/app.css",
  ...MODULES,
  "/static/app/shared/html.js",
  "/static/app/shared/workflow.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/leaflet.js",
  "/api/v1/categories",
  "/api/v1/towns.geojson",
  "/api/v1/towns",
  "/api/v1/workflow",
];

self.addEventListener("install", (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  const shell = SHELL.includes(url.pathname) || url.pathname.startsWith("/static/");
  if (!shell) return;
  // network first, cache as fallback: updates arrive at once, offline still opens
  // (only good answers replace what is cached; on a server error the cached copy is used, if any)
  const cached = () => caches.match(e.request, { ignoreSearch: true });
  e.respondWith(
    fetch(e.request)
      .then((r) => {
        if (!r.ok) return cached().then((c) => c || r);
        const copy = r.clone();
        caches.open(CACHE).then((c) => c.put(e.request, copy));
        return r;
      })
      .catch(cached),
  );
});
