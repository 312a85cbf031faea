"""Coordinates, area polygons and the management grid.

Everything is stored in WGS-84; GCJ-02 (WeChat, Amap) and BD-09 (Baidu) are converted at the
boundary. Function arguments are always ``(lat, lon)``; shapely geometries use GeoJSON axis order
``(lon, lat)``.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import h3
import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from urbanops.core.errors import InvalidInput

__all__ = [
    "DONGGUAN_DIR",
    "AreaIndex",
    "AreaShape",
    "Datum",
    "GridCellShape",
    "Location",
    "bd09_to_gcj02",
    "check_lat_lon",
    "city_outline",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "generate_grid",
    "h3_cell",
    "load_town_shapes",
    "to_wgs84",
    "wgs84_to_gcj02",
]

DONGGUAN_DIR = Path(__file__).resolve().parent.parent / "data" / "dongguan"

# --- datum conversion ----------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_EPS = 1e-10  # convergence threshold of the iterative inversions, degrees


class Datum(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


def check_lat_lon(lat: float, lon: float) -> tuple[float, float]:
    """Validate a coordinate pair; returns it as floats or raises InvalidInput."""
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        flat = flon = math.nan
    if not (-90.0 <= flat <= 90.0 and -180.0 <= flon <= 180.0):  # also rejects NaN
        raise InvalidInput(
            f"坐标无效：纬度 {lat}，经度 {lon}",
            code="invalid_coordinates",
            message_en=f"invalid coordinates: lat {lat}, lon {lon}",
        )
    return flat, flon


def _out_of_china(lat: float, lon: float) -> bool:
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _gcj_offset(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += common
    d_lon += common
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (unchanged outside mainland China's bounding box)."""
    if _out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration (error far below 1e-7 degrees)."""
    if _out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < _EPS and abs(e_lon) < _EPS:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu)."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 → GCJ-02: the usual closed form, refined by iteration to match gcj02_to_bd09."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lat, g_lon = z * math.sin(theta), z * math.cos(theta)
    for _ in range(10):
        b_lat, b_lon = gcj02_to_bd09(g_lat, g_lon)
        e_lat, e_lon = b_lat - lat, b_lon - lon
        g_lat, g_lon = g_lat - e_lat, g_lon - e_lon
        if abs(e_lat) < _EPS and abs(e_lon) < _EPS:
            break
    return g_lat, g_lon


def to_wgs84(lat: float, lon: float, datum: Datum | str) -> tuple[float, float]:
    """Validate ``(lat, lon)`` given in ``datum`` and return it in WGS-84."""
    lat, lon = check_lat_lon(lat, lon)
    datum = Datum(datum)
    if datum is Datum.gcj02:
        return gcj02_to_wgs84(lat, lon)
    if datum is Datum.bd09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    return lat, lon


def from_wgs84(lat: float, lon: float, datum: Datum | str) -> tuple[float, float]:
    """WGS-84 ``(lat, lon)`` expressed in ``datum`` (e.g. to draw on Amap or Baidu tiles)."""
    lat, lon = check_lat_lon(lat, lon)
    datum = Datum(datum)
    if datum is Datum.gcj02:
        return wgs84_to_gcj02(lat, lon)
    if datum is Datum.bd09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))
    return lat, lon


def h3_cell(lat: float, lon: float, resolution: int = 10) -> str:
    """H3 cell id of a WGS-84 point."""
    lat, lon = check_lat_lon(lat, lon)
    return str(h3.latlng_to_cell(lat, lon, resolution))


# --- areas ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaShape:
    """A town or community polygon (WGS-84, lon/lat axis order)."""

    code: str
    name: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class GridCellShape:
    """A management grid cell: one grid square clipped to one town."""

    code: str
    town_code: str
    community_code: str | None
    geometry: BaseGeometry


@dataclass(frozen=True)
class Location:
    """The areas of a point. ``snapped_m`` is set when the point lies in no town and was given to
    the nearest one: its distance to that town in metres (None for a point inside a town)."""

    town_code: str
    town_name: str
    community_code: str | None
    community_name: str | None
    grid_cell_code: str | None
    snapped_m: float | None = None


_EARTH_RADIUS_M = 6371008.8
_M_PER_DEG = _EARTH_RADIUS_M * math.pi / 180.0


def _invalid(message: str, message_en: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_area", message_en=message_en)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of ``geom`` (intersections may add lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def generate_grid(
    towns: Sequence[AreaShape],
    cell_size_m: float = 500,
    region_code: str = "441900",
    communities: Sequence[AreaShape] = (),
) -> list[GridCellShape]:
    """Cover the towns with ``cell_size_m`` squares, each clipped to every town it touches.

    Squares lie on an equirectangular frame about the towns' bounding-box centre latitude
    (rounded to 0.01°), origin at the north-west bounding-box corner rounded outwards to 0.01°.
    Codes: region (6) + town suffix (3) + community suffix (3, "000" if none) + sequence (3),
    numbered west→east then north→south within each (town, community).
    """
    if not towns:
        raise _invalid("没有镇街边界，无法生成网格", "no town polygons to build a grid from")
    if not (math.isfinite(cell_size_m) and cell_size_m > 0):
        raise _invalid("网格边长必须为正数", "the cell size must be a positive number")
    if not (len(region_code) == 6 and region_code.isdigit()):
        raise _invalid("区划代码应为 6 位数字", "the region code must be 6 digits")
    well_formed = all(len(t.code) == 9 and t.code.isdigit() for t in towns)
    if not well_formed or len({t.code[-3:] for t in towns}) < len(towns):
        raise _invalid(
            "镇街代码应为 9 位数字，且末 3 位互不重复",
            "town codes must be 9 digits with distinct last 3 digits",
        )

    geoms = np.array([t.geometry for t in towns], dtype=object)
    min_x, min_y, max_x, max_y = shapely.total_bounds(geoms)
    lat0 = round((min_y + max_y) / 2.0, 2)
    west, north = math.floor(min_x * 100) / 100, math.ceil(max_y * 100) / 100
    step_lon = cell_size_m / (_M_PER_DEG * math.cos(math.radians(lat0)))
    step_lat = cell_size_m / _M_PER_DEG
    n_cols = max(1, math.ceil((max_x - west) / step_lon))
    n_rows = max(1, math.ceil((north - min_y) / step_lat))
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    boxes = shapely.box(
        west + cols * step_lon,
        north - (rows + 1) * step_lat,
        west + (cols + 1) * step_lon,
        north - rows * step_lat,
    )
    tree = shapely.STRtree(boxes)

    community_tree = None
    if communities:
        community_tree = shapely.STRtree([c.geometry for c in communities])

    groups: dict[tuple[str, str | None], list[tuple[int, int, BaseGeometry]]] = defaultdict(list)
    for town in towns:
        geom = town.geometry
        shapely.prepare(geom)
        hit = tree.query(geom, predicate="intersects")
        inside = np.isin(hit, tree.query(geom, predicate="contains"))
        pieces = boxes[hit]
        edge = ~inside
        pieces[edge] = shapely.intersection(boxes[hit[edge]], geom)
        pieces = np.array([_polygonal(p) for p in pieces], dtype=object)
        keep = shapely.area(pieces) > 0
        hit, pieces = hit[keep], pieces[keep]
        community_codes = _assign_communities(town.code, pieces, communities, community_tree)
        for i, piece, community in zip(hit.tolist(), pieces, community_codes, strict=True):
            groups[(town.code, community)].append((int(rows[i]), int(cols[i]), piece))

    cells: list[GridCellShape] = []
    for (town_code, community), members in groups.items():
        if len(members) > 999:
            raise InvalidInput(
                f"镇街 {town_code} 的网格超过 999 个，请增大网格边长（当前 {cell_size_m} 米）",
                code="grid_too_fine",
                message_en=(
                    f"town {town_code} would have more than 999 grid cells; "
                    f"increase the cell size (now {cell_size_m} m)"
                ),
            )
        prefix = region_code + town_code[-3:] + (community[-3:] if community else "000")
        members.sort(key=lambda m: (m[0], m[1]))
        for seq, (_, _, piece) in enumerate(members, start=1):
            cells.append(GridCellShape(f"{prefix}{seq:03d}", town_code, community, piece))
    cells.sort(key=lambda c: c.code)
    return cells


def _assign_communities(
    town_code: str,
    pieces: np.ndarray,
    communities: Sequence[AreaShape],
    tree: shapely.STRtree | None,
) -> list[str | None]:
    """Community of each piece: the lowest-coded community of the town covering its
    representative point, or None."""
    result: list[str | None] = [None] * len(pieces)
    if tree is None or len(pieces) == 0:
        return result
    points = shapely.point_on_surface(pieces)
    for p, c in zip(*tree.query(points, predicate="intersects").tolist(), strict=True):
        code = communities[c].code
        if code.startswith(town_code) and (result[p] is None or code < str(result[p])):
            result[p] = code
    return result


class _Layer:
    """One polygon layer sorted by code, so the lowest index is the lowest code.

    Lookups take the STRtree's bounding-box candidates and test them with prepared
    geometries (``intersects``, so a point on a boundary matches both sides).
    """

    def __init__(self, codes: list[str], geoms: list[BaseGeometry]) -> None:
        order = sorted(range(len(codes)), key=codes.__getitem__)
        self.codes = [codes[i] for i in order]
        self.geoms = np.array([geoms[i] for i in order], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def hits(self, point: shapely.Point, lon: float, lat: float) -> list[int]:
        if not self.codes:
            return []
        candidates = self.tree.query(point)
        if len(candidates) == 0:
            return []
        inside = shapely.intersects_xy(self.geoms[candidates], lon, lat)
        return sorted(candidates[inside].tolist())


def city_outline(geoms: Sequence[BaseGeometry] | np.ndarray) -> BaseGeometry:
    """The union of ``geoms`` with every interior hole filled: the outline of the city."""
    union = _polygonal(shapely.union_all(list(geoms)))
    shells = [shapely.Polygon(p.exterior) for p in shapely.get_parts(union) if not p.is_empty]
    return shapely.union_all(shells) if shells else shapely.Polygon()


# how far a grid cell may lie from a snapped point on its town's boundary and still hold it
_ON_BOUNDARY_DEG = 1e-5  # ~1 m


class AreaIndex:
    """Point → town, community and grid cell, with STRtree lookups.

    A point that lies in no town goes to the nearest town (``Location.snapped_m`` says how far
    it was) when it is inside the city's outline (the towns with their holes filled: the gaps
    between town polygons), or within ``snap_tolerance_m`` of a town outside it (a coast or a
    border drawn a little inside). Distances are measured in a local equirectangular frame in
    metres about the towns' centre latitude (within ~0.3 % across a city).
    """

    def __init__(
        self,
        towns: Sequence[AreaShape],
        communities: Sequence[AreaShape] = (),
        grid_cells: Sequence[GridCellShape] = (),
        *,
        snap_tolerance_m: float = 300.0,
    ) -> None:
        self._towns = _Layer([t.code for t in towns], [t.geometry for t in towns])
        self._town_names = {t.code: t.name for t in towns}
        with_geometry = [c for c in communities if not c.geometry.is_empty]
        self._communities = _Layer(
            [c.code for c in with_geometry], [c.geometry for c in with_geometry]
        )
        self._community_names = {c.code: c.name for c in communities}
        self._cells = _Layer([g.code for g in grid_cells], [g.geometry for g in grid_cells])
        self._cell_info = {g.code: (g.town_code, g.community_code) for g in grid_cells}

        # for points in no town: the outline, and the towns in metres for nearest-town queries
        self._snap_tolerance_m = snap_tolerance_m
        lat0 = 0.0
        if self._towns.codes:
            _, min_y, _, max_y = shapely.total_bounds(self._towns.geoms)
            lat0 = (min_y + max_y) / 2.0
        self._scale = np.array([_M_PER_DEG * math.cos(math.radians(lat0)), _M_PER_DEG])
        self._outline = city_outline(self._towns.geoms)
        shapely.prepare(self._outline)
        self._towns_m = self._metric(self._towns.geoms)
        self._towns_m_tree = shapely.STRtree(self._towns_m)
        self._town_communities: dict[str, list[int]] = defaultdict(list)
        for i, code in enumerate(self._communities.codes):
            self._town_communities[code[:9]].append(i)

    @property
    def outline(self) -> BaseGeometry:
        """The city's outline: the union of the towns with its interior holes filled."""
        return self._outline

    def _metric(self, geoms: np.ndarray) -> np.ndarray:
        scale = self._scale
        metric: np.ndarray = shapely.transform(geoms, lambda xy: xy * scale)
        return metric

    def locate(self, lat: float, lon: float) -> Location | None:
        """Areas containing a WGS-84 point (boundaries go to the lowest code); a point in no
        town goes to the nearest town if it may (see the class), else None."""
        lat, lon = check_lat_lon(lat, lon)
        point = shapely.Point(lon, lat)
        town_hits = self._towns.hits(point, lon, lat)
        if not town_hits:
            return self._snap(lat, lon)
        town = self._towns.codes[town_hits[0]]
        cell: str | None = None
        cell_community: str | None = None
        for i in self._cells.hits(point, lon, lat):
            cell_town, community_of_cell = self._cell_info[self._cells.codes[i]]
            if cell_town == town:
                cell, cell_community = self._cells.codes[i], community_of_cell
                break
        community = next(
            (
                self._communities.codes[i]
                for i in self._communities.hits(point, lon, lat)
                if self._communities.codes[i].startswith(town)
            ),
            cell_community,
        )
        return Location(
            town_code=town,
            town_name=self._town_names[town],
            community_code=community,
            community_name=self._community_names.get(community) if community else None,
            grid_cell_code=cell,
        )

    def _snap(self, lat: float, lon: float) -> Location | None:
        """The nearest town of a point in none, with the grid cell at the nearest point of that
        town's boundary and the town's nearest community polygon (else the cell's community)."""
        if not self._towns.codes:
            return None
        limit: float | None = None
        if not shapely.contains_xy(self._outline, lon, lat):
            limit = self._snap_tolerance_m
            if not limit > 0:
                return None
        xy = shapely.Point(lon * self._scale[0], lat * self._scale[1])
        found, distances = self._towns_m_tree.query_nearest(
            xy, max_distance=limit, return_distance=True, all_matches=True
        )
        if len(found) == 0:
            return None
        # equidistant towns go to the lowest code (the layer is sorted by code)
        distance, i = min(zip(distances.tolist(), found.tolist(), strict=True))
        town = self._towns.codes[i]
        nx, ny = shapely.get_coordinates(shapely.shortest_line(self._towns_m[i], xy))[0]
        on_town = shapely.Point(nx / self._scale[0], ny / self._scale[1])

        cell: str | None = None
        cell_community: str | None = None
        near = self._cells.tree.query(on_town, predicate="dwithin", distance=_ON_BOUNDARY_DEG)
        ranked = sorted(
            (d, c)
            for d, c in zip(
                shapely.distance(self._cells.geoms[near], on_town).tolist(),
                near.tolist(),
                strict=True,
            )
            if self._cell_info[self._cells.codes[c]][0] == town
        )
        if ranked:
            cell = self._cells.codes[ranked[0][1]]
            cell_community = self._cell_info[cell][1]

        community = cell_community
        own = self._town_communities.get(town)
        if own:
            gaps = shapely.distance(self._metric(self._communities.geoms[own]), xy).tolist()
            community = self._communities.codes[min(zip(gaps, own, strict=True))[1]]

        return Location(
            town_code=town,
            town_name=self._town_names[town],
            community_code=community,
            community_name=self._community_names.get(community) if community else None,
            grid_cell_code=cell,
            snapped_m=round(distance, 1),
        )


# --- loading -------------------------------------------------------------------------------------

_NAME_ALIASES = {"松山湖管委会": "松山湖"}


def load_town_shapes(
    geojson_path: str | Path = DONGGUAN_DIR / "towns.geojson",
    towns_csv_path: str | Path = DONGGUAN_DIR / "towns.csv",
) -> list[AreaShape]:
    """Town polygons from GeoJSON features whose ``name`` matches a name in the code table.

    Every feature must map to a code; the returned names are the code table's names.
    """
    with Path(towns_csv_path).open(encoding="utf-8", newline="") as f:
        code_by_name = {row["name"]: row["code"] for row in csv.DictReader(f)}
    features = json.loads(Path(geojson_path).read_text(encoding="utf-8"))["features"]
    shapes: dict[str, AreaShape] = {}
    for feature in features:
        name = feature["properties"]["name"]
        canonical = _NAME_ALIASES.get(name, name)
        code = code_by_name.get(canonical)
        if code is None:
            raise _invalid(f"边界文件中的镇街“{name}”在代码表中不存在", f"unknown town {name!r}")
        if code in shapes:
            raise _invalid(f"镇街“{name}”在边界文件中重复", f"duplicate town {name!r}")
        geom = shape(feature["geometry"])
        if not geom.is_valid:
            geom = _polygonal(shapely.make_valid(geom))
        shapes[code] = AreaShape(code, canonical, geom)
    return [shapes[code] for code in sorted(shapes)]
