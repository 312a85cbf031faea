/* Leaflet maps of the city: the town polygons are the offline base layer; tiles only when the
   deployment sets a tile URL (the page's `data-tiles`). */
import { element, html } from "../shared/html.js";
import { api } from "./net.js";
import { $ } from "./ui.js";

const DONGGUAN = [23.02, 113.75];
let towns = null;

async function townsLayer() {
  if (!towns) towns = await api("/api/v1/towns.geojson");
  return L.geoJSON(towns, {
    style: { color: "#0b5cad", weight: 1, fillColor: "#0b5cad", fillOpacity: 0.04 },
    onEachFeature: (f, layer) =>
      layer.bindTooltip(element(html`${f.properties.name}`), { sticky: true }),
  });
}

export async function makeMap(el, zoom) {
  const m = L.map(el, { zoomControl: true, attributionControl: false }).setView(DONGGUAN, zoom);
  const tiles = $("#app").dataset.tiles;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(m);
  try {
    (await townsLayer()).addTo(m);
  } catch {
    /* offline without cache: plain map */
  }
  return m;
}
