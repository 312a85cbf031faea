"""Points between the town polygons, and just off the city's edge, go to the nearest town.

The town layer (Amap-derived, see PROVENANCE.md) leaves gaps inside the city: its union has
seven interior rings. Six hold land (up to ~12 km²: 东莞生态园 has no polygon of its own); the
seventh is a zero-width sliver no point can fall in. The points below were generated once with
`representative_point()` of each gap and are kept as literals.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.core.errors import InvalidInput
from urbanops.core.geo import AreaShape, city_outline, load_town_shapes
from urbanops.identity.roles import SYSTEM
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
M_PER_DEG = 6371008.8 * math.pi / 180.0

# (lat, lon) in each gap between the towns, and the town it belongs to (the nearest)
HOLES = [
    ((23.026486, 113.895376), "441900109", "东坑镇"),  # ~11.8 km², 东莞生态园
    ((23.073503, 113.923361), "441900104", "石排镇"),  # ~10.2 km²
    ((22.989791, 113.545312), "441900126", "麻涌镇"),  # ~4.5 km²
    ((23.045250, 113.758359), "441900006", "莞城街道"),  # ~1.6 km²
    ((23.120409, 113.815403), "441900101", "石碣镇"),  # ~0.66 km²
    ((23.130376, 113.796128), "441900101", "石碣镇"),  # ~0.02 km²
]
# 200 m and 2 km off the city's edge: west into the Pearl River, south across the Shenzhen border
NEAR_EDGE = [((23.031101, 113.514344), "441900126"), ((22.654660, 114.172632), "441900117")]
FAR_OFF_EDGE = [(23.031101, 113.496754), (22.638473, 114.172632)]
DEEP_INSIDE = (22.8191, 113.6968)  # 虎门镇


@pytest.fixture(scope="module")
def towns() -> list[AreaShape]:
    return load_town_shapes()


def _metres_to(town: AreaShape, lat: float, lon: float) -> float:
    """Distance from a point to a town, in an equirectangular frame about the point itself."""
    kx, ky = M_PER_DEG * math.cos(math.radians(lat)), M_PER_DEG
    metric = shapely.transform(town.geometry, lambda xy: xy * (kx, ky))
    return float(shapely.distance(metric, shapely.Point(lon * kx, lat * ky)))


def test_the_town_layer_has_seven_holes_and_each_test_point_is_in_one(
    towns: list[AreaShape],
) -> None:
    union = shapely.union_all([t.geometry for t in towns])
    assert union.geom_type == "Polygon" and len(union.interiors) == 7
    gaps = list(shapely.get_parts(city_outline([t.geometry for t in towns]).difference(union)))
    assert len(gaps) == 7
    m2 = [g.area * M_PER_DEG**2 * math.cos(math.radians(23.0)) for g in gaps]
    assert sum(a > 10_000 for a in m2) == 6 and sum(a < 1 for a in m2) == 1  # one is a sliver
    holding = [
        next(i for i, g in enumerate(gaps) if g.contains(shapely.Point(lon, lat)))
        for (lat, lon), _, _ in HOLES
    ]
    assert len(set(holding)) == 6  # one point in each hole with land
    assert max(m2) < 12.5e6


@pytest.mark.parametrize(("point", "code", "name"), HOLES)
def test_point_in_a_hole_goes_to_the_nearest_town(
    session: Session,
    towns: list[AreaShape],
    point: tuple[float, float],
    code: str,
    name: str,
) -> None:
    lat, lon, loc = areas.locate(session, *point)
    assert (lat, lon) == point  # the reported point, not moved
    assert (loc.town_code, loc.town_name) == (code, name)
    assert loc.snapped_m is not None and loc.snapped_m > 0
    distances = {t.code: _metres_to(t, *point) for t in towns}
    assert min(distances, key=distances.__getitem__) == code
    assert loc.snapped_m == pytest.approx(distances[code], rel=0.01, abs=0.5)
    assert loc.grid_cell_code is not None and loc.grid_cell_code.startswith("441900" + code[-3:])


@pytest.mark.parametrize(("point", "code"), NEAR_EDGE)
def test_point_200_m_off_the_edge_is_snapped(
    session: Session, point: tuple[float, float], code: str
) -> None:
    _, _, loc = areas.locate(session, *point)
    assert loc.town_code == code
    assert loc.snapped_m == pytest.approx(200, abs=5)


@pytest.mark.parametrize("point", FAR_OFF_EDGE)
def test_point_2_km_off_the_edge_is_refused(session: Session, point: tuple[float, float]) -> None:
    with pytest.raises(InvalidInput) as err:
        areas.locate(session, *point)
    assert err.value.code == "outside_service_area"


def test_point_deep_inside_a_town_is_not_snapped(session: Session) -> None:
    _, _, loc = areas.locate(session, *DEEP_INSIDE)
    assert loc.town_code == "441900121" and loc.snapped_m is None


def test_api_locate_says_when_it_snapped(client: TestClient) -> None:
    (lat, lon), code, _ = HOLES[3]
    r = client.get("/api/v1/locate", params={"lat": lat, "lon": lon})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["town_code"] == code and body["snapped_m"] > 0
    assert (body["lat"], body["lon"]) == (lat, lon)
    inside = client.get("/api/v1/locate", params={"lat": 22.8191, "lon": 113.6968}).json()
    assert inside["snapped_m"] is None
    far = client.get(
        "/api/v1/locate", params={"lat": FAR_OFF_EDGE[0][0], "lon": FAR_OFF_EDGE[0][1]}
    )
    assert far.status_code == 422 and far.json()["code"] == "outside_service_area"


def test_report_in_a_hole_is_accepted_with_its_pin_where_it_was(session: Session) -> None:
    (lat, lon), code, _ = HOLES[0]
    before = session.scalars(select(func.count()).select_from(Report)).one()
    result = submit_report(
        session,
        actor=SYSTEM,
        now=NOW,
        data=ReportIn(lat=lat, lon=lon, description="路边垃圾堆放", matter_code="06042"),
        source="api",
    )
    assert result.case.town_code == code
    assert (result.case.lat, result.case.lon) == pytest.approx((lat, lon), abs=1e-9)
    assert result.location is not None and result.location.snapped_m is not None
    assert session.scalars(select(func.count()).select_from(Report)).one() == before + 1
