// eslint (flat config) for the pages' JavaScript: the recommended rules, and no HTML put into
// the page from anything but the `html` template tag of static/shared/html.js, which escapes
// every value, or its `element` (eslint-plugin-no-unsanitized: innerHTML, outerHTML,
// insertAdjacentHTML, document.write, and Leaflet's popups and tooltips, which take HTML too).
import js from "@eslint/js";
import noUnsanitized from "eslint-plugin-no-unsanitized";
import globals from "globals";

const STATIC = "src/urbanops/web/static";
const escape = { escape: { taggedTemplates: ["html"], methods: ["element"] } };

export default [
  { ignores: [".venv/**", "var/**", "build/**", "dist/**"] },
  js.configs.recommended,
  {
    files: [`${STATIC}/**/*.js`],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, L: "readonly" }, // L: Leaflet, a classic script on the page
    },
    plugins: { "no-unsanitized": noUnsanitized },
    rules: {
      "no-unsanitized/property": ["error", escape],
      "no-unsanitized/method": [
        "error",
        escape,
        { bindPopup: { properties: [0] }, bindTooltip: { properties: [0] } },
      ],
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    // the service workers are classic scripts with their own globals
    files: [`${STATIC}/m/sw.js`, `${STATIC}/field/sw.js`, `${STATIC}/shared/shell_sw.js`],
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
