// Service worker of the field app (shared/shell_sw.js): the shell opens offline; actions taken
// without network wait in the page's own outbox (IndexedDB), never here.
/* global shellWorker */
importScripts("/static/app/shared/shell_sw.js");

const MODULES = ["app", "case", "form", "i18n", "keep", "outbox", "place", "state", "tasks"].map(
  (name) => `/static/app/field/${name}.js`,
);
const SHARED = ["html", "idb", "net", "staff_auth", "thumbs", "workflow"].map(
  (name) => `/static/app/shared/${name}.js`,
);

shellWorker("urbanops-field-v3", [
  "/field/",
  "/static/app/field/field.css",
  ...MODULES,
  ...SHARED,
  "/static/app/shared/shell_sw.js",
  "/api/v1/workflow",
]);
