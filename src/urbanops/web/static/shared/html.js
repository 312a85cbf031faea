/* The one way page code turns data into HTML: the `html` template tag escapes every value put
   into it, unless that value is itself `html` (or a list of them). `el.innerHTML = html`…``
   is the only innerHTML assignment the lint rule (eslint-plugin-no-unsanitized) lets through.
   URLs from the server go into src/href only through `safeUrl`: this platform's /media/ paths
   and plain https links, nothing else (no javascript:, data: or credentials). */

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as HTML: the five characters that could end a text node or an attribute are escaped. */
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** Markup made by `html`: trusted as it is when interpolated into another `html` template. */
class Html {
  constructor(markup) {
    this.markup = markup;
  }
  toString() {
    return this.markup;
  }
}

function part(value) {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return esc(value);
}

/** The template tag: `html`<b>${name}</b>`` escapes `name`; null, undefined and false vanish. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += part(value) + strings[i + 1];
  });
  return new Html(out);
}

const MEDIA = /^\/media\/[a-z0-9]{32}(_t)?\.(jpg|webp)$/;

/** A photo or link URL fit for src/href, or null. */
export function safeUrl(url) {
  if (typeof url !== "string" || url.length > 2048) return null;
  if (MEDIA.test(url)) return url;
  try {
    const u = new URL(url);
    return u.protocol === "https:" && !u.username && !u.password ? u.href : null;
  } catch {
    return null;
  }
}

/** The thumbnail of one of this platform's photos (always a JPEG); other links are shown as they are. */
export const thumbOf = (url) =>
  /^\/media\/[a-z0-9]{32}\.jpg$/.test(url) ? url.replace(/\.jpg$/, "_t.jpg") : url;

/** Linked thumbnails of the safe URLs among `urls`. */
export const photoLinks = (urls) =>
  (urls || [])
    .map(safeUrl)
    .filter(Boolean)
    .map(
      (u) =>
        html`<a href="${u}" target="_blank" rel="noopener noreferrer"
          ><img src="${thumbOf(u)}" alt="" loading="lazy"
        /></a>`,
    );

/** A <span> holding `markup` (made by `html`; anything else is shown as text), for APIs that
    take a DOM node rather than a string, such as Leaflet's tooltips and popups. */
export function element(markup) {
  const span = document.createElement("span");
  span.innerHTML = html`${markup}`;
  return span;
}
