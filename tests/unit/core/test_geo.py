from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import h3
import pytest
import shapely
from shapely.geometry import Point, box

from urbanops.core.errors import InvalidInput
from urbanops.core.geo import (
    DONGGUAN_DIR,
    AreaIndex,
    AreaShape,
    Datum,
    GridCellShape,
    bd09_to_gcj02,
    check_lat_lon,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    generate_grid,
    h3_cell,
    load_town_shapes,
    to_wgs84,
    wgs84_to_gcj02,
)

M_PER_DEG = 6371008.8 * math.pi / 180.0


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * M_PER_DEG
    dx = (a[1] - b[1]) * M_PER_DEG * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


@pytest.fixture(scope="module")
def towns() -> list[AreaShape]:
    return load_town_shapes(DONGGUAN_DIR / "towns.geojson", DONGGUAN_DIR / "towns.csv")


@pytest.fixture(scope="module")
def grid(towns: list[AreaShape]) -> list[GridCellShape]:
    return generate_grid(towns, 500)


@pytest.fixture(scope="module")
def index(towns: list[AreaShape], grid: list[GridCellShape]) -> AreaIndex:
    return AreaIndex(towns, grid_cells=grid)


# --- datum conversion ----------------------------------------------------------------------------

SAMPLES = [
    (23.0205, 113.7518),  # Dongguan
    (22.82, 113.67),
    (39.9087, 116.3975),  # Beijing
    (31.2304, 121.4737),  # Shanghai
    (43.8256, 87.6168),  # Urumqi
    (18.25, 109.5),  # Sanya
]


@pytest.mark.parametrize(("lat", "lon"), SAMPLES)
def test_gcj02_round_trip(lat: float, lon: float) -> None:
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    assert (g_lat, g_lon) != (lat, lon)
    w_lat, w_lon = gcj02_to_wgs84(g_lat, g_lon)
    assert abs(w_lat - lat) < 1e-7
    assert abs(w_lon - lon) < 1e-7
    back = wgs84_to_gcj02(w_lat, w_lon)
    assert abs(back[0] - g_lat) < 1e-6
    assert abs(back[1] - g_lon) < 1e-6


@pytest.mark.parametrize(("lat", "lon"), SAMPLES)
def test_bd09_round_trip(lat: float, lon: float) -> None:
    b_lat, b_lon = gcj02_to_bd09(lat, lon)
    assert _distance_m((lat, lon), (b_lat, b_lon)) > 100
    g_lat, g_lon = bd09_to_gcj02(b_lat, b_lon)
    assert abs(g_lat - lat) < 1e-7
    assert abs(g_lon - lon) < 1e-7
    w = to_wgs84(*from_wgs84(lat, lon, Datum.bd09), Datum.bd09)
    assert abs(w[0] - lat) < 1e-7
    assert abs(w[1] - lon) < 1e-7


def test_known_shift_in_dongguan() -> None:
    wgs = (23.0205, 113.7518)
    gcj = wgs84_to_gcj02(*wgs)
    assert 500 < _distance_m(wgs, gcj) < 700
    assert gcj[1] > wgs[1]  # eastwards
    assert gcj[0] < wgs[0]  # and southwards at this place
    assert to_wgs84(*gcj, Datum.gcj02) == pytest.approx(wgs, abs=1e-7)
    assert to_wgs84(*gcj, "gcj02") == pytest.approx(wgs, abs=1e-7)
    assert to_wgs84(*wgs, Datum.wgs84) == wgs
    assert from_wgs84(*wgs, Datum.gcj02) == gcj


@pytest.mark.parametrize(("lat", "lon"), [(48.8566, 2.3522), (40.7128, -74.006), (-33.87, 151.21)])
def test_outside_china_unchanged(lat: float, lon: float) -> None:
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_wgs84(lat, lon) == (lat, lon)
    assert to_wgs84(lat, lon, Datum.gcj02) == (lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (math.nan, 113.0),
        (23.0, math.nan),
        (math.inf, 113.0),
        (23.0, -math.inf),
        (90.5, 113.0),
        (-91.0, 0.0),
        (23.0, 180.01),
        (23.0, -181.0),
        ("north", 113.0),
        (None, 113.0),
    ],
)
def test_invalid_coordinates_rejected(lat: Any, lon: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        check_lat_lon(lat, lon)
    assert info.value.code == "invalid_coordinates"
    with pytest.raises(InvalidInput):
        to_wgs84(lat, lon, Datum.gcj02)


def test_valid_coordinates_accepted() -> None:
    assert check_lat_lon(90, -180) == (90.0, -180.0)
    assert check_lat_lon(23.02, 113.75) == (23.02, 113.75)


def test_unknown_datum_rejected() -> None:
    with pytest.raises(ValueError, match="not a valid Datum"):
        to_wgs84(23.0, 113.0, "cgcs2000")


def test_h3_cell() -> None:
    cell = h3_cell(23.0205, 113.7518)
    assert h3.is_valid_cell(cell)
    assert h3.get_resolution(cell) == 10
    assert cell == h3.latlng_to_cell(23.0205, 113.7518, 10)
    assert h3.get_resolution(h3_cell(23.0205, 113.7518, resolution=8)) == 8
    with pytest.raises(InvalidInput):
        h3_cell(123.0, 113.0)


# --- towns and locate ----------------------------------------------------------------------------


def test_all_towns_load(towns: list[AreaShape]) -> None:
    assert len(towns) == 33
    codes = [t.code for t in towns]
    assert codes == sorted(codes)
    assert len(set(codes)) == 33
    assert all(len(c) == 9 and c.startswith("441900") for c in codes)
    by_code = {t.code: t for t in towns}
    assert by_code["441900401"].name == "松山湖"
    assert by_code["441900006"].name == "莞城街道"
    assert all(t.geometry.is_valid and t.geometry.area > 0 for t in towns)


def test_load_fails_loudly_on_unknown_name(tmp_path: Path) -> None:
    data = json.loads((DONGGUAN_DIR / "towns.geojson").read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name"] = "不存在镇"
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInput, match="不存在镇"):
        load_town_shapes(path, DONGGUAN_DIR / "towns.csv")


def test_representative_point_locates_to_town(towns: list[AreaShape], index: AreaIndex) -> None:
    for town in towns:
        p = town.geometry.representative_point()
        loc = index.locate(p.y, p.x)
        assert loc is not None, town.name
        assert (loc.town_code, loc.town_name) == (town.code, town.name)
        assert loc.grid_cell_code is not None
        assert loc.grid_cell_code.startswith("441900" + town.code[-3:])
        assert loc.community_code is None


@pytest.mark.parametrize(("lat", "lon"), [(22.5, 113.3), (23.13, 113.26), (22.54, 114.06)])
def test_outside_every_town(index: AreaIndex, lat: float, lon: float) -> None:
    assert index.locate(lat, lon) is None


def test_locate_rejects_invalid(index: AreaIndex) -> None:
    with pytest.raises(InvalidInput):
        index.locate(math.nan, 113.7)


def _boundary_probes(
    towns: list[AreaShape], offset_m: float = 100.0, per_pair: int = 3
) -> dict[tuple[str, str], list[tuple[tuple[float, float], tuple[float, float]]]]:
    """For neighbouring towns (a, b): point pairs ``offset_m`` either side of their shared
    boundary, as ((lat, lon) only in a, (lat, lon) only in b), checked directly with shapely."""
    probes: dict[tuple[str, str], list[tuple[tuple[float, float], tuple[float, float]]]]
    probes = defaultdict(list)
    for a in towns:
        for b in towns:
            if a.code >= b.code or not a.geometry.intersects(b.geometry):
                continue
            shared = shapely.intersection(a.geometry.boundary, b.geometry.boundary)
            if shared.length * M_PER_DEG < 2000:
                continue
            for part in sorted(
                shapely.get_parts(shapely.line_merge(shared)), key=lambda g: -g.length
            ):
                for k in range(1, 10):
                    q = part.interpolate(k / 10, normalized=True)
                    lat0 = q.y
                    kx = math.cos(math.radians(lat0))
                    p1 = part.interpolate(part.project(q) - 0.0001)
                    p2 = part.interpolate(part.project(q) + 0.0001)
                    tx, ty = (p2.x - p1.x) * kx, p2.y - p1.y
                    norm = math.hypot(tx, ty)
                    if norm == 0:
                        continue
                    nx, ny = -ty / norm, tx / norm  # unit normal in metres-scaled frame
                    d = offset_m / M_PER_DEG
                    side1 = Point(q.x + nx * d / kx, q.y + ny * d)
                    side2 = Point(q.x - nx * d / kx, q.y - ny * d)
                    owners = []
                    for s in (side1, side2):
                        owners.append({t.code for t in towns if t.geometry.covers(s)})
                    if owners == [{a.code}, {b.code}]:
                        probes[(a.code, b.code)].append(((side1.y, side1.x), (side2.y, side2.x)))
                    elif owners == [{b.code}, {a.code}]:
                        probes[(a.code, b.code)].append(((side2.y, side2.x), (side1.y, side1.x)))
                    if len(probes[(a.code, b.code)]) >= per_pair:
                        break
                if len(probes[(a.code, b.code)]) >= per_pair:
                    break
    return probes


@pytest.fixture(scope="module")
def probes(
    towns: list[AreaShape],
) -> dict[tuple[str, str], list[tuple[tuple[float, float], tuple[float, float]]]]:
    return _boundary_probes(towns)


def test_near_boundary_points(
    index: AreaIndex,
    probes: dict[tuple[str, str], list[tuple[tuple[float, float], tuple[float, float]]]],
) -> None:
    assert len(probes) >= 20, "expected many neighbouring town pairs"
    checked = 0
    for (a, b), pairs in probes.items():
        for in_a, in_b in pairs:
            loc_a, loc_b = index.locate(*in_a), index.locate(*in_b)
            assert loc_a is not None
            assert loc_b is not None
            assert (loc_a.town_code, loc_b.town_code) == (a, b)
            checked += 1
    assert checked >= 50


def test_gcj02_conversion_matters_near_boundaries(
    index: AreaIndex,
    probes: dict[tuple[str, str], list[tuple[tuple[float, float], tuple[float, float]]]],
) -> None:
    wrong_town = 0
    for (a, b), pairs in probes.items():
        for point, code in ((pairs[0][0], a), (pairs[0][1], b)):
            gcj = wgs84_to_gcj02(*point)
            converted = index.locate(*to_wgs84(*gcj, Datum.gcj02))
            assert converted is not None
            assert converted.town_code == code
            naive = index.locate(*gcj)
            if naive is None or naive.town_code != code:
                wrong_town += 1
    assert wrong_town >= 10  # about half of them, in practice


def test_shared_boundary_point_resolves_to_lowest_code(towns: list[AreaShape]) -> None:
    west = AreaShape("441900005", "西", box(113.0, 23.0, 113.1, 23.1))
    east = AreaShape("441900003", "东", box(113.1, 23.0, 113.2, 23.1))
    idx = AreaIndex([west, east])
    for _ in range(2):
        loc = idx.locate(23.05, 113.1)
        assert loc is not None
        assert loc.town_code == "441900003"
    loc = idx.locate(23.05, 113.05)
    assert loc is not None
    assert loc.town_code == "441900005"


# --- grid ----------------------------------------------------------------------------------------


def test_grid_codes(towns: list[AreaShape], grid: list[GridCellShape]) -> None:
    codes = [c.code for c in grid]
    assert len(codes) == len(set(codes))
    assert all(len(c) == 15 and c.isdigit() for c in codes)
    town_codes = {t.code for t in towns}
    for cell in grid:
        assert cell.town_code in town_codes
        assert cell.code.startswith("441900" + cell.town_code[-3:] + "000")
        assert cell.community_code is None
        assert cell.code[-3:] != "000"


def test_grid_is_deterministic(towns: list[AreaShape], grid: list[GridCellShape]) -> None:
    again = generate_grid(list(reversed(towns)), 500)
    assert [c.code for c in again] == [c.code for c in grid]
    assert all(x.geometry.equals_exact(y.geometry, 0) for x, y in zip(again, grid, strict=True))


def test_grid_covers_each_town(towns: list[AreaShape], grid: list[GridCellShape]) -> None:
    pieces: dict[str, list[object]] = defaultdict(list)
    for cell in grid:
        pieces[cell.town_code].append(cell.geometry)
    for town in towns:
        union = shapely.union_all(pieces[town.code])
        total = sum(shapely.area(pieces[town.code]))
        assert abs(union.area - town.geometry.area) / town.geometry.area < 1e-6, town.name
        assert abs(total - town.geometry.area) / town.geometry.area < 1e-6, town.name
        # 500 m squares: about 4 per km², plus the pieces cut by the boundary.
        assert len(pieces[town.code]) >= town.geometry.area * M_PER_DEG**2 / 250_000 * 0.9


def test_grid_numbering_west_to_east_then_north_to_south() -> None:
    town = AreaShape("441900101", "石碣镇", box(113.8, 23.0, 113.81, 23.01))
    cells = generate_grid([town], 500)
    centres = [c.geometry.centroid for c in cells]
    for previous, current in zip(centres, centres[1:], strict=False):
        same_row = abs(previous.y - current.y) < 1e-9
        assert (same_row and current.x > previous.x) or current.y < previous.y
    assert cells[0].code == "441900101000001"


def test_grid_with_communities() -> None:
    town = AreaShape("441900101", "石碣镇", box(113.8, 23.0, 113.82, 23.01))
    west = AreaShape("441900101001", "西村", box(113.8, 23.0, 113.81, 23.01))
    east = AreaShape("441900101002", "东村", box(113.81, 23.0, 113.82, 23.01))
    foreign = AreaShape("441900102001", "别镇村", box(113.8, 23.0, 113.82, 23.01))
    cells = generate_grid([town], 500, communities=[foreign, east, west])
    assert {c.community_code for c in cells} == {"441900101001", "441900101002"}
    for cell in cells:
        assert cell.community_code is not None
        assert cell.code[9:12] == cell.community_code[-3:]
    by_community = defaultdict(list)
    for cell in cells:
        by_community[cell.community_code].append(cell.code[-3:])
    assert all(seqs[0] == "001" for seqs in by_community.values())

    idx = AreaIndex([town], communities=[west, east], grid_cells=cells)
    loc = idx.locate(23.005, 113.815)
    assert loc is not None
    assert (loc.community_code, loc.community_name) == ("441900101002", "东村")
    assert loc.grid_cell_code is not None
    assert loc.grid_cell_code[9:12] == "002"


def test_grid_community_falls_back_to_cell_without_polygons() -> None:
    town = AreaShape("441900101", "石碣镇", box(113.8, 23.0, 113.82, 23.01))
    west = AreaShape("441900101001", "西村", box(113.8, 23.0, 113.81, 23.01))
    cells = generate_grid([town], 500, communities=[west])
    no_shape = AreaShape("441900101001", "西村", shapely.Polygon())
    idx = AreaIndex([town], communities=[no_shape], grid_cells=cells)
    loc = idx.locate(23.005, 113.803)
    assert loc is not None
    assert (loc.community_code, loc.community_name) == ("441900101001", "西村")
    east_loc = idx.locate(23.005, 113.818)
    assert east_loc is not None
    assert east_loc.community_code is None


def test_grid_too_fine_is_rejected() -> None:
    town = AreaShape("441900101", "石碣镇", box(113.8, 23.0, 113.83, 23.03))
    with pytest.raises(InvalidInput, match="增大网格边长"):
        generate_grid([town], 50)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cell_size_m": 0}, "441900101"),
        ({"cell_size_m": math.nan}, "441900101"),
        ({"region_code": "4419"}, "441900101"),
        ({}, "4419001"),
    ],
)
def test_grid_rejects_bad_parameters(kwargs: dict[str, Any], code: str) -> None:
    town = AreaShape(code, "镇", box(113.8, 23.0, 113.81, 23.01))
    with pytest.raises(InvalidInput):
        generate_grid([town], **kwargs)


# --- points in no town ---------------------------------------------------------------------------

# a ring town around a 1.1 km × 1.1 km hole that holds a small town (23°N: 1° lon ≈ 102.4 km)
RING = AreaShape(
    "441900101",
    "石碣镇",
    shapely.Polygon(
        [(113.80, 23.00), (113.83, 23.00), (113.83, 23.03), (113.80, 23.03)],
        holes=[[(113.81, 23.01), (113.82, 23.01), (113.82, 23.02), (113.81, 23.02)]],
    ),
)
ISLAND = AreaShape("441900102", "石龙镇", box(113.815, 23.0105, 113.8175, 23.0175))


def _m(lat: float, dlat: float = 0.0, dlon: float = 0.0) -> tuple[float, float]:
    """Degrees for metres north (dlat) and east (dlon) at latitude `lat`."""
    return dlat / M_PER_DEG, dlon / (M_PER_DEG * math.cos(math.radians(lat)))


def test_point_in_a_hole_goes_to_the_nearest_town_in_metres() -> None:
    idx = AreaIndex([RING, ISLAND])
    # 0.00095° south of it is the ring (105.6 m), 0.001° east the island (102.4 m): in degrees
    # the ring is nearer, in metres the island
    loc = idx.locate(23.01095, 113.814)
    assert loc is not None and loc.town_code == ISLAND.code
    assert loc.snapped_m == pytest.approx(
        0.001 * M_PER_DEG * math.cos(math.radians(23.01095)), abs=1
    )
    near_ring = idx.locate(23.0104, 113.811)
    assert near_ring is not None and near_ring.town_code == RING.code
    assert near_ring.snapped_m == pytest.approx(0.0004 * M_PER_DEG, abs=1)


def test_point_inside_a_town_is_not_snapped() -> None:
    loc = AreaIndex([RING, ISLAND]).locate(23.005, 113.805)
    assert loc is not None and loc.town_code == RING.code and loc.snapped_m is None


@pytest.mark.parametrize(
    ("metres_south", "tolerance", "snapped"),
    [(250, 300.0, True), (350, 300.0, False), (250, 200.0, False), (50, 0.0, False)],
)
def test_point_outside_the_outline_is_snapped_only_within_the_tolerance(
    metres_south: float, tolerance: float, snapped: bool
) -> None:
    idx = AreaIndex([RING, ISLAND], snap_tolerance_m=tolerance)
    dlat, _ = _m(23.0, dlat=metres_south)
    loc = idx.locate(23.0 - dlat, 113.815)
    if snapped:
        assert loc is not None and loc.town_code == RING.code
        assert loc.snapped_m == pytest.approx(metres_south, abs=1)
    else:
        assert loc is None


def test_hole_points_are_snapped_whatever_the_tolerance() -> None:
    loc = AreaIndex([RING, ISLAND], snap_tolerance_m=0).locate(23.019, 113.811)
    assert loc is not None and loc.snapped_m is not None and loc.snapped_m > 0


def test_outline_fills_the_holes() -> None:
    idx = AreaIndex([RING])
    assert idx.outline.equals(box(113.80, 23.00, 113.83, 23.03))
    assert AreaIndex([]).locate(23.0, 113.8) is None


def test_snapped_point_gets_the_cell_and_community_where_it_meets_the_town() -> None:
    west = AreaShape(
        "441900101001", "西村", box(113.80, 23.00, 113.815, 23.03).intersection(RING.geometry)
    )
    east = AreaShape(
        "441900101002", "东村", box(113.815, 23.00, 113.83, 23.03).intersection(RING.geometry)
    )
    cells = generate_grid([RING, ISLAND], 500, communities=[west, east])
    point = (23.0199, 113.8195)  # in the hole, 10 m south of the ring's north-east inner corner
    for communities in ([west, east], []):
        idx = AreaIndex([RING, ISLAND], communities=communities, grid_cells=cells)
        loc = idx.locate(*point)
        assert loc is not None and loc.town_code == RING.code
        assert loc.snapped_m == pytest.approx(0.0001 * M_PER_DEG, abs=1)
        assert loc.community_code == east.code  # from the polygon, else from the cell
        cell = next(c for c in cells if c.code == loc.grid_cell_code)
        assert cell.town_code == RING.code
        assert cell.geometry.distance(Point(point[1], point[0])) * M_PER_DEG < 12


def test_real_towns_snap_points_in_the_holes(towns: list[AreaShape], index: AreaIndex) -> None:
    loc = index.locate(23.045, 113.758)  # between 莞城 and its neighbours (issue 6)
    assert loc is not None and loc.town_code == "441900006" and loc.snapped_m is not None
    assert loc.grid_cell_code is not None and loc.grid_cell_code.startswith("441900006")
