// Service worker of the citizen app (shared/shell_sw.js): the shell works offline; API calls
// always go to the network (drafts and unsent reports are kept by the page itself in IndexedDB).
/* global shellWorker */
importScripts("/static/app/shared/shell_sw.js");

// the app's modules (m/app.js and what it imports), and the reads it needs before any input
const MODULES = ["app", "boards", "i18n", "maps", "mine", "nav", "net", "outbox", "place"]
  .concat(["points", "prizes", "problems", "reads", "report", "rewards_words", "share", "store"])
  .concat(["titles", "ui", "what"])
  .map((name) => `/static/app/m/${name}.js`);
const SHARED = ["html", "idb", "net", "thumbs", "workflow"].map(
  (name) => `/static/app/shared/${name}.js`,
);

shellWorker("urbanops-m-v9", [
  "/m/",
  "/static/app/m/app.css",
  ...MODULES,
  ...SHARED,
  "/static/app/shared/shell_sw.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/leaflet.js",
  "/api/v1/categories",
  "/api/v1/towns.geojson",
  "/api/v1/towns",
  "/api/v1/workflow",
]);
