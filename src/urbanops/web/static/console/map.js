/* The console's maps (Leaflet, /static/vendor/leaflet). The offline base is the town outlines
   (GET /api/v1/towns.geojson) and, zoomed in, the communities and grid cells of the towns in
   view (GET /api/v1/towns/{code}/outlines.geojson); map tiles only where the deployment sets
   `geo.tile_url` (the page's data-tiles). Cases come from GET /api/v1/cases/map with the list's
   filters and the view (bbox, zoom): h3 cells with counts at low zoom, drawn as a heat layer
   and as counted circles; single points at high zoom, clustered on the page
   (leaflet.markercluster). Where that endpoint is not there the map shows the list's current
   page, clustered, and its heat is counted on the page (h3-js). */
import { cellToBoundary, latLngToCell } from "/static/vendor/h3-js/h3-js.es.js";
import { element, html } from "../shared/html.js";
import { api } from "../shared/staff_auth.js";
import { t } from "./words.js";

const DONGGUAN = [23.02, 113.75];
const OUTLINE_ZOOM = 13; // communities and grid cells from this zoom on
const STATUS_COLOURS = { reported: "#a05a00", closed: "#1b873f" };
let towns = null;
const outlines = new Map(); // town code → its communities and grid cells (GeoJSON)

async function townsGeojson() {
  if (!towns) towns = await api("/api/v1/towns.geojson");
  return towns;
}

async function townOutlines(code) {
  if (!outlines.has(code)) outlines.set(code, await api(`/api/v1/towns/${code}/outlines.geojson`));
  return outlines.get(code);
}

const outlineStyle = (f) =>
  f.properties.level === "community"
    ? { color: "#5a6b7d", weight: 1, dashArray: "4 3", fill: false }
    : { color: "#9aa8b6", weight: 0.5, fill: false };

function base(el, opts) {
  const m = L.map(el, { attributionControl: false, maxZoom: 19, ...opts }).setView(DONGGUAN, 10);
  const tiles = document.getElementById("app").dataset.tiles;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(m);
  return m;
}

function townLayer(doc) {
  return L.geoJSON(doc, {
    style: { color: "#0b5cad", weight: 1.2, fillColor: "#0b5cad", fillOpacity: 0.03 },
    onEachFeature: (f, layer) =>
      layer.bindTooltip(element(html`${f.properties.name}`), { sticky: true }),
  });
}

/** A small map of one case: its point over its town's grid cells and communities. */
export async function smallMap(el, c) {
  if (!el || c.lat == null) return;
  const m = base(el, { zoomControl: false, dragging: true, scrollWheelZoom: false });
  m.setView([c.lat, c.lon], 15);
  const point = L.circleMarker([c.lat, c.lon], {
    radius: 7,
    color: "#b3261e",
    weight: 2,
    fillOpacity: 0.6,
  }).addTo(m);
  try {
    townLayer(await townsGeojson()).addTo(m);
    if (c.town_code) {
      const inner = await townOutlines(c.town_code);
      L.geoJSON(inner, { interactive: false, style: outlineStyle }).addTo(m);
    }
    point.bringToFront();
  } catch {
    /* no outlines: the point alone */
  }
}

const heatColour = (share) => {
  // pale yellow → deep red by the cell's share of the busiest cell
  const hue = 50 - 50 * share;
  return `hsl(${hue}, 90%, ${60 - 20 * share}%)`;
};

/** The command centre's map of cases; `onPick(id)` when a case is clicked. */
export class CaseMap {
  constructor(el, { onPick, query, fallback, note }) {
    this.onPick = onPick;
    this.query = query; // () => URLSearchParams of the list's filters
    this.fallback = fallback; // () => the list's current cases
    this.note = note;
    this.heatOn = true;
    this.map = base(el, {});
    this.heat = L.layerGroup().addTo(this.map);
    this.cells = L.layerGroup().addTo(this.map);
    this.points = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45 });
    this.points.addTo(this.map);
    this.outlines = L.layerGroup().addTo(this.map);
    this.loadedOutlines = new Set();
    this.map.on("moveend", () => this.refresh());
    townsGeojson()
      .then((doc) => {
        this.towns = townLayer(doc).addTo(this.map);
        this.towns.bringToBack();
        this.map.fitBounds(this.towns.getBounds());
      })
      .catch(() => {});
  }

  setHeat(on) {
    this.heatOn = on;
    this.refresh();
  }

  /** Draw again for the map's view and the list's filters. */
  async refresh() {
    if (!this.map.getContainer().offsetParent) return; // hidden: drawn when shown
    this.map.invalidateSize();
    const b = this.map.getBounds();
    const q = this.query();
    q.set(
      "bbox",
      [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(","),
    );
    q.set("zoom", String(this.map.getZoom()));
    let data;
    try {
      data = await api(`/api/v1/cases/map?${q}`);
      this.note.textContent = "";
    } catch {
      data = { points: this.fallback() };
      this.note.textContent = t("map_fallback");
    }
    this.draw(data);
    this.drawOutlines();
  }

  draw(data) {
    this.heat.clearLayers();
    this.cells.clearLayers();
    this.points.clearLayers();
    const cells = data.cells || this.countOnPage(data.points || []);
    if (data.cells) {
      for (const c of data.cells) {
        const marker = L.circleMarker([c.lat, c.lon], {
          radius: 8 + Math.min(18, Math.sqrt(c.count) * 2),
          color: c.overdue ? "#b3261e" : "#0b5cad",
          weight: 1,
          fillOpacity: 0.45,
        });
        marker.bindTooltip(
          element(html`${c.count}${c.overdue ? html` · ${t("counts_overdue")} ${c.overdue}` : ""}`),
          {
            permanent: true,
            direction: "center",
            className: "cell-count",
          },
        );
        marker.on("click", () => this.map.setView([c.lat, c.lon], this.map.getZoom() + 2));
        this.cells.addLayer(marker);
      }
    }
    for (const p of data.points || []) {
      const marker = L.circleMarker([p.lat, p.lon], {
        radius: 7,
        color: p.overdue ? "#b3261e" : STATUS_COLOURS[p.status] || "#0b5cad",
        weight: p.overdue ? 3 : 1.5,
        fillOpacity: 0.7,
      });
      marker.bindTooltip(element(html`${p.number} ${p.matter_name || ""}`));
      marker.on("click", () => this.onPick(p.id));
      this.points.addLayer(marker);
    }
    if (this.heatOn) this.drawHeat(cells);
  }

  /** h3 cells of the points on the page, at a resolution that suits the zoom. */
  countOnPage(points) {
    const res = Math.max(5, Math.min(10, this.map.getZoom() - 4));
    const counts = new Map();
    for (const p of points) {
      const h = latLngToCell(p.lat, p.lon, res);
      counts.set(h, (counts.get(h) || 0) + 1);
    }
    return [...counts].map(([h3, count]) => ({ h3, count }));
  }

  drawHeat(cells) {
    const most = Math.max(1, ...cells.map((c) => c.count));
    for (const c of cells) {
      const share = c.count / most;
      L.polygon(cellToBoundary(c.h3), {
        stroke: false,
        fillColor: heatColour(share),
        fillOpacity: 0.25 + 0.4 * share,
        interactive: false,
      }).addTo(this.heat);
    }
  }

  /** Zoomed in: the communities and grid cells of the towns in view (each loaded once). */
  async drawOutlines() {
    if (this.map.getZoom() < OUTLINE_ZOOM || !this.towns) {
      this.outlines.clearLayers();
      this.loadedOutlines.clear();
      return;
    }
    const view = this.map.getBounds();
    for (const layer of this.towns.getLayers()) {
      const code = layer.feature.properties.code;
      if (this.loadedOutlines.has(code) || !view.intersects(layer.getBounds())) continue;
      this.loadedOutlines.add(code);
      try {
        L.geoJSON(await townOutlines(code), { interactive: false, style: outlineStyle }).addTo(
          this.outlines,
        );
      } catch {
        this.loadedOutlines.delete(code);
      }
    }
  }
}
