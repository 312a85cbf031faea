/* 城市服务驿站: the stations on the citizens' map over /api/v1/admin/stations — list (the demo
   set marked), create, edit name, address, hours and facilities, place on a Leaflet map (a
   click sets the point; the server finds its town), delete. The town polygons are the offline
   base layer; tiles only when the deployment sets a tile URL. */
import { element, html } from "../shared/html.js";
import { $, adminPage } from "./page.js";

const DONGGUAN = [23.02, 113.75];
const T = {
  en: {
    title: "UrbanOps service stations",
    intro:
      "City service stations shown on the citizens' map. Those marked demo are demonstration data: delete or replace them before going live.",
    map_hint: "Click the map to place the station.",
    new_station: "New station",
    name: "Name",
    town: "Town",
    address: "Address",
    hours: "Opening hours",
    facilities: "Facilities",
    point: "Map point",
    no_point: "not placed yet: click the map",
    demo: "demo",
    edit: "Edit",
    remove: "Delete",
    remove_q: "Delete the station {n}?",
    save: "Save",
    create: "Create",
    cancel: "Cancel",
    new_title: "New station",
    edit_title: "Edit {n}",
    pick: "Click a station's Edit, or New station.",
    none: "No stations yet.",
  },
  zh: {
    name: "名称",
    town: "镇街",
    address: "地址",
    hours: "开放时间",
    facilities: "设施",
    point: "地图位置",
    no_point: "尚未设定：请在地图上点击",
    demo: "演示",
    edit: "编辑",
    remove: "删除",
    remove_q: "删除驿站“{n}”？",
    save: "保存",
    create: "创建",
    cancel: "取消",
    new_title: "新建驿站",
    edit_title: "编辑 {n}",
    pick: "点击列表中的“编辑”，或“新建驿站”。",
    none: "还没有驿站。",
  },
};

let options = null;
let stations = [];
let editing = null;
let map = null;
let markers = null;
let pin = null;

const page = adminPage({
  words: T,
  load: async () => {
    options = await page.api("/api/v1/admin/options");
    stations = await page.api("/api/v1/admin/stations");
    render();
    // once the page is shown: Leaflet measures its container
    setTimeout(makeMap, 0);
  },
  render: () => render(),
  reset: () => {
    stations = [];
    editing = null;
  },
});
const { t, api } = page;
const en = () => page.lang() === "en";
const townName = (code) => options.towns.find((x) => x.code === code)?.label || "";
const facility = (code) => {
  const f = options.facilities.find((x) => x.code === code);
  return f ? (en() ? f.label_en : f.label) : code;
};

async function makeMap() {
  if (map) return;
  const el = $("#map");
  map = L.map(el, { attributionControl: false }).setView(DONGGUAN, 10);
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  try {
    const towns = await api("/api/v1/towns.geojson");
    L.geoJSON(towns, {
      style: { color: "#0b5cad", weight: 1, fillColor: "#0b5cad", fillOpacity: 0.04 },
      onEachFeature: (f, layer) =>
        layer.bindTooltip(element(html`${f.properties.name}`), { sticky: true }),
    }).addTo(map);
  } catch {
    /* a plain map without the outlines */
  }
  markers = L.layerGroup().addTo(map);
  map.on("click", (e) => {
    if (!editing) return;
    editing.lat = Number(e.latlng.lat.toFixed(6));
    editing.lon = Number(e.latlng.lng.toFixed(6));
    placePin();
    const out = $("#point");
    if (out) out.textContent = `${editing.lat}, ${editing.lon}`;
  });
  drawMarkers();
}

function drawMarkers() {
  if (!markers) return;
  markers.clearLayers();
  for (const s of stations) {
    if (editing && editing.id === s.id) continue;
    L.circleMarker([s.lat, s.lon], {
      radius: 6,
      color: s.is_demo ? "#6a2ea8" : "#0b5cad",
      fillOpacity: 0.7,
    })
      .bindTooltip(element(html`${s.name}`))
      .addTo(markers);
  }
  placePin();
}

function placePin() {
  if (pin) pin.remove();
  pin = null;
  if (editing && editing.lat != null) {
    pin = L.marker([editing.lat, editing.lon]).addTo(map);
    map.setView([editing.lat, editing.lon], Math.max(map.getZoom(), 13));
  }
}

function render() {
  if (!stations.length) {
    $("#stations").innerHTML = html`<tr>
      <td class="muted">${t("none")}</td>
    </tr>`;
    renderEditor();
    drawMarkers();
    return;
  }
  $("#stations").innerHTML = html`<thead>
      <tr>
        <th>${t("name")}</th>
        <th>${t("town")}</th>
        <th>${t("address")}</th>
        <th>${t("hours")}</th>
        <th>${t("facilities")}</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${stations.map(
        (s) =>
          html`<tr data-station="${s.id}" class="${editing && editing.id === s.id ? "chosen" : ""}">
            <td>
              ${s.name} ${s.is_demo ? html`<span class="badge demo">${t("demo")}</span>` : ""}
            </td>
            <td>${townName(s.town_code)}</td>
            <td>${s.address}</td>
            <td>${s.opening_hours}</td>
            <td>${s.amenities.map((a) => html`<span class="chip">${facility(a)}</span>`)}</td>
            <td class="actions">
              <button class="link" data-act="edit">${t("edit")}</button>
              <button class="link danger" data-act="remove">${t("remove")}</button>
            </td>
          </tr>`,
      )}
    </tbody>`;
  renderEditor();
  drawMarkers();
}

function renderEditor() {
  if (!editing) {
    $("#editor").innerHTML = html`<p class="muted">${t("pick")}</p>`;
    return;
  }
  const has = new Set(editing.amenities || []);
  const point = editing.lat != null ? `${editing.lat}, ${editing.lon}` : t("no_point");
  $("#editor").innerHTML = html`<form class="edit" id="station-form" novalidate>
    <h2>${editing.id ? t("edit_title", { n: editing.name }) : t("new_title")}</h2>
    <label
      ><span>${t("name")}</span
      ><input name="name" required maxlength="100" value="${editing.name || ""}"
    /></label>
    <label
      ><span>${t("address")}</span
      ><input name="address" maxlength="200" value="${editing.address || ""}"
    /></label>
    <label
      ><span>${t("hours")}</span
      ><input
        name="opening_hours"
        maxlength="100"
        placeholder="08:00-20:00"
        value="${editing.opening_hours || ""}"
    /></label>
    <div class="field">
      <span>${t("facilities")}</span>
      <div class="checks">
        ${options.facilities.map(
          (f) =>
            html`<label
              ><input
                type="checkbox"
                name="amenity"
                value="${f.code}"
                ${has.has(f.code) ? html`checked` : ""}
              />${en() ? f.label_en : f.label}</label
            >`,
        )}
      </div>
    </div>
    <div class="field"><span>${t("point")}</span> <code id="point">${point}</code></div>
    <div class="row">
      <button class="primary">${editing.id ? t("save") : t("create")}</button>
      <button type="button" data-act="cancel">${t("cancel")}</button>
    </div>
    <p class="msg bad" hidden></p>
  </form>`;
}

$("#editor").addEventListener("click", (e) => {
  if (e.target.dataset.act === "cancel") {
    editing = null;
    render();
  }
});

$("#editor").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const body = {
    name: f.namedItem("name").value.trim(),
    address: f.namedItem("address").value.trim(),
    opening_hours: f.namedItem("opening_hours").value.trim(),
    amenities: [...e.target.querySelectorAll("input[name=amenity]:checked")].map((x) => x.value),
    lat: editing.lat,
    lon: editing.lon,
  };
  const msg = $("#station-form .msg");
  if (body.lat == null) {
    msg.textContent = t("no_point");
    msg.hidden = false;
    return;
  }
  try {
    if (editing.id) {
      await api(`/api/v1/admin/stations/${editing.id}`, { method: "PUT", body });
    } else {
      await api("/api/v1/admin/stations", { method: "POST", body });
    }
    editing = null;
    stations = await api("/api/v1/admin/stations");
    render();
  } catch (err) {
    msg.textContent = err.message;
    msg.hidden = false;
  }
});

$("#stations").addEventListener("click", async (e) => {
  const act = e.target.dataset.act;
  const row = e.target.closest("tr[data-station]");
  if (!act || !row) return;
  const station = stations.find((s) => s.id === Number(row.dataset.station));
  if (act === "edit") {
    editing = { ...station };
    render();
  } else if (act === "remove" && window.confirm(t("remove_q", { n: station.name }))) {
    await api(`/api/v1/admin/stations/${station.id}`, { method: "DELETE" });
    editing = null;
    stations = await api("/api/v1/admin/stations");
    render();
  }
});

$("#new").addEventListener("click", () => {
  editing = { amenities: [] };
  render();
});

page.begin();
