/* Where the phone is and how far a case is from it, and the links that open a case's spot in a
   navigation app. Cases are stored in WGS-84 (as GPS gives it, and as the geo: URI takes it);
   高德 takes GCJ-02 and 百度 BD-09, which the server converts (the case detail's `map_points`),
   so the page holds no datum formulas. */
import { t } from "./i18n.js";

export const here = { lat: null, lon: null };
const listeners = [];

/** Follow the phone's position; `fn()` runs whenever it is first known or moves. */
export function watchPosition(fn) {
  listeners.push(fn);
  if (listeners.length > 1 || !navigator.geolocation) return;
  navigator.geolocation.watchPosition(
    (p) => {
      here.lat = p.coords.latitude;
      here.lon = p.coords.longitude;
      listeners.forEach((f) => f());
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
  );
}

/** Metres between two WGS-84 points (haversine); null when the phone's position is unknown. */
export function distanceFromHere(lat, lon) {
  if (here.lat == null || lat == null || lon == null) return null;
  const rad = Math.PI / 180;
  const dLat = (lat - here.lat) * rad,
    dLon = (lon - here.lon) * rad;
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(here.lat * rad) * Math.cos(lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

/** A distance in words: metres below 1 km, else kilometres with one decimal. */
export function distanceText(m) {
  if (m == null) return "";
  return m < 1000 ? t("m", { n: Math.round(m) }) : t("km", { n: (m / 1000).toFixed(1) });
}

const fixed = (x) => Number(x).toFixed(6);

/** The navigation links of a case detail: [{app, href}], the geo: URI first. */
export function navLinks(c) {
  const links = [{ app: "nav_geo", href: `geo:${fixed(c.lat)},${fixed(c.lon)}` }];
  const gcj = (c.map_points || {}).gcj02;
  const bd = (c.map_points || {}).bd09;
  const name = encodeURIComponent(c.address || c.number);
  if (gcj)
    links.push({
      app: "nav_amap",
      href: `https://uri.amap.com/marker?position=${fixed(gcj[1])},${fixed(gcj[0])}&name=${name}`,
    });
  if (bd)
    links.push({
      app: "nav_baidu",
      href:
        `https://api.map.baidu.com/marker?location=${fixed(bd[0])},${fixed(bd[1])}` +
        `&title=${name}&content=${encodeURIComponent(c.number)}&output=html`,
    });
  return links;
}
