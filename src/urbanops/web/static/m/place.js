/* Step 2 of the report form: the place, as a pin on the map (tapped, dragged, from the phone's
   location or from the photo's), named by the server's town lookup. */
import { t } from "./i18n.js";
import { makeMap } from "./maps.js";
import { api, outcomeOf } from "./net.js";
import { clearFields, fieldError } from "./problems.js";
import { $, toast } from "./ui.js";

let reportMap = null;
let mapMade = null; // the promise of the map, made once
let pin = null;
let pinnedByUser = false;
let placeSeq = 0;
let changed = () => {};

/** `fn` runs whenever the citizen or a photo moves the pin (the form then saves itself). */
export const onPlaceChange = (fn) => {
  changed = fn;
};

/** The map of the report form, made once; tapping it sets the pin. */
export async function showReportMap() {
  if (!mapMade)
    mapMade = makeMap("map", 11).then((m) => {
      m.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng, { user: true }));
      reportMap = m;
    });
  await mapMade;
  setTimeout(() => reportMap.invalidateSize(), 50);
}

/** The pin's position {lat, lng}, or null. */
export const pinPosition = () => (pin ? pin.getLatLng() : null);

/** Whether the citizen placed the pin (a photo's location then no longer moves it). */
export const placedByUser = () => pinnedByUser;

/* opts.user: the citizen moved the pin (clears the location's errors); opts.restore: a saved
   form is being shown again (nothing to save) */
export function setPin(lat, lon, opts = {}) {
  const ll = L.latLng(lat, lon).wrap(); // a map scrolled past 180° still gives a real longitude
  lat = ll.lat;
  lon = ll.lng;
  if (opts.user || opts.restore) pinnedByUser = true;
  if (!opts.restore) clearFields("report", "location", "lat", "lon", "datum", "address");
  if (!pin) {
    pin = L.marker([lat, lon], { draggable: true }).addTo(reportMap);
    pin.on("dragend", () => {
      const p = pin.getLatLng();
      setPin(p.lat, p.lng, { user: true });
    });
  } else pin.setLatLng([lat, lon]);
  reportMap.setView([lat, lon], Math.max(reportMap.getZoom(), 15));
  $("#place").textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  describePlace(lat, lon);
  if (!opts.restore) changed();
}

/** No pin: the form starts again. */
export function clearPin() {
  pinnedByUser = false;
  if (pin) {
    reportMap.removeLayer(pin);
    pin = null;
  }
  placeSeq += 1; // a town lookup still under way no longer names the place
  $("#place").textContent = t("tap_map");
}

async function describePlace(lat, lon) {
  const seq = ++placeSeq;
  try {
    const r = await api(`/api/v1/locate?lat=${lat}&lon=${lon}`);
    if (seq === placeSeq)
      $("#place").textContent = `${r.town_name} · ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  } catch (e) {
    // the server will refuse this place too: say so now, next to the map
    if (seq === placeSeq && outcomeOf(e) === "rejected")
      fieldError("report", "location", e.message);
  }
}

function locateMe() {
  // phones need HTTPS for their location (localhost aside)
  if (!window.isSecureContext) {
    toast(t("geo_https"));
    return;
  }
  if (!navigator.geolocation) {
    toast(t("no_geo"));
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (p) => {
      setPin(p.coords.latitude, p.coords.longitude, { user: true });
      toast(t("located"));
    },
    () => toast(t("no_geo")),
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 },
  );
}
$("#locate-btn").addEventListener("click", locateMe);
