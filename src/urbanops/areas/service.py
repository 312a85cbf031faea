"""Locating points and routing matters to units.

The area index and the responsibility matrix are read from the database into memory and
refreshed after `REFRESH_SECONDS` (edits in another process) or at once after an edit here.
The area index is rebuilt off the request path, and only when the area tables changed
(`urbanops.areas.index`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
import shapely.geometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas.index import BackgroundRefreshed
from urbanops.areas.models import Community, GridCell, Responsibility, Town, Unit
from urbanops.core import geo
from urbanops.core.cache import RefCache
from urbanops.core.db import session_factory
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.core.settings import get_settings

REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Routing:
    unit_id: int
    unit_name: str


_index: BackgroundRefreshed[geo.AreaIndex] = BackgroundRefreshed(
    lambda session: _load_index(session), lambda: session_factory()(), REFRESH_SECONDS
)
_matrix_cache: RefCache[
    tuple[dict[tuple[str | None, str | None, str | None], int], dict[int, str]]
] = RefCache(REFRESH_SECONDS)


def invalidate() -> None:
    _index.invalidate()
    _matrix_cache.invalidate()
    _town_names.invalidate()


def matrix_changed() -> None:
    """Drop the cached matrix and unit names (after an admin's edit of either)."""
    _matrix_cache.invalidate()


def area_index(session: Session) -> geo.AreaIndex:
    return _index.get(session)


def _load_index(session: Session) -> geo.AreaIndex:
    towns = [
        geo.AreaShape(code, name, shapely.from_wkb(wkb))
        for code, name, wkb in session.execute(
            select(Town.code, Town.name, Town.geometry_wkb).where(Town.geometry_wkb.is_not(None))
        )
    ]
    communities = [
        geo.AreaShape(code, name, shapely.from_wkb(wkb) if wkb else shapely.Polygon())
        for code, name, wkb in session.execute(
            select(Community.code, Community.name, Community.geometry_wkb)
        )
    ]
    rows = session.execute(
        select(GridCell.code, GridCell.town_code, GridCell.community_code, GridCell.geometry_wkb)
    ).all()
    geoms = shapely.from_wkb([r[3] for r in rows]) if rows else []
    cells = [geo.GridCellShape(r[0], r[1], r[2], g) for r, g in zip(rows, geoms, strict=True)]
    return geo.AreaIndex(
        towns, communities, cells, snap_tolerance_m=get_settings().geo.snap_tolerance_m
    )


def locate(
    session: Session, lat: float, lon: float, datum: geo.Datum | str = geo.Datum.wgs84
) -> tuple[float, float, geo.Location]:
    """WGS-84 coordinates and the areas of a point given in any datum. A point between town
    polygons (or just off the city's edge) goes to the nearest town with `snapped_m` set; the
    coordinates returned stay those reported. Refuses points outside the city."""
    try:
        datum = geo.Datum(datum)
    except ValueError as exc:
        raise InvalidInput(
            f"不支持的坐标系“{datum}”，可选 wgs84、gcj02、bd09",
            code="invalid_datum",
            message_en=f"unknown datum {datum!r}: use wgs84, gcj02 or bd09",
        ) from exc
    geo.check_lat_lon(lat, lon)
    wlat, wlon = geo.to_wgs84(lat, lon, datum)
    location = area_index(session).locate(wlat, wlon)
    if location is None:
        raise InvalidInput(
            f"位置（{lat:.6f}, {lon:.6f}）不在本市任何镇街范围内，无法受理",
            code="outside_service_area",
            message_en="the location is outside every town of the city",
            extra={"lat": lat, "lon": lon, "datum": str(datum)},
        )
    return wlat, wlon, location


def _matrix(
    session: Session,
) -> tuple[dict[tuple[str | None, str | None, str | None], int], dict[int, str]]:
    def load() -> tuple[dict[tuple[str | None, str | None, str | None], int], dict[int, str]]:
        matrix = {
            (r.town_code, r.matter_class, r.matter_code): r.unit_id
            for r in session.scalars(select(Responsibility))
        }
        names = dict(session.execute(select(Unit.id, Unit.name)).all())
        return matrix, names

    return _matrix_cache.get(load)


RuleKey = tuple[str | None, str | None, str | None]  # (town, matter class, matter)


def rule_keys(town_code: str, matter_code: str) -> tuple[RuleKey, ...]:
    """The rows of the matrix that could route `matter_code` at `town_code`, most specific
    first: the first one present wins."""
    cls = matter_code[:2]
    return (
        (town_code, None, matter_code),
        (town_code, cls, None),
        (None, None, matter_code),
        (None, cls, None),
        (town_code, None, None),
        (None, None, None),
    )


def responsible_unit(session: Session, town_code: str, matter_code: str) -> Routing | None:
    """The most specific row of the matrix wins (see `Responsibility`, `rule_keys`)."""
    matrix, names = _matrix(session)
    for key in rule_keys(town_code, matter_code):
        unit_id = matrix.get(key)
        if unit_id is not None:
            return Routing(unit_id, names.get(unit_id, ""))
    return None


def unit_name(session: Session, unit_id: int) -> str:
    name = _matrix(session)[1].get(unit_id)
    if name is None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound("处置单位不存在", code="unit_not_found", message_en="unit not found")
        name = unit.name
    return name


_town_names: RefCache[dict[str, str]] = RefCache(REFRESH_SECONDS)


def town_names(session: Session) -> dict[str, str]:
    """Town code → name, cached like the matrix (names change rarely): a list of cases reads
    every town's name without a statement, and never loads a polygon to get one."""
    return _town_names.get(lambda: dict(session.execute(select(Town.code, Town.name)).all()))


def town_name(session: Session, code: str) -> str | None:
    name = town_names(session).get(code)
    if name is None:  # a town added since the cache was loaded
        name = session.scalar(select(Town.name).where(Town.code == code))
    return name


_geojson: RefCache[bytes] = RefCache(3600)


def towns_geojson(session: Session) -> bytes:
    def load() -> bytes:
        features = []
        for code, name, wkb in session.execute(
            select(Town.code, Town.name, Town.geometry_wkb)
            .where(Town.geometry_wkb.is_not(None))
            .order_by(Town.code)
        ):
            geom = shapely.from_wkb(wkb).simplify(0.0002, preserve_topology=True)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": shapely.geometry.mapping(geom),
                }
            )
        return json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    return _geojson.get(load)
