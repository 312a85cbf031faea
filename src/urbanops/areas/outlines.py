"""The outlines inside one town, for the console map once it is zoomed in: its communities (村/
社区, those whose boundary an admin has imported) and its grid cells (单元网格), simplified to
about 10 m, as one GeoJSON feature collection (`level`: community | grid_cell)."""

from __future__ import annotations

import json
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas.models import Community, GridCell, Town
from urbanops.core.errors import NotFound

SIMPLIFY_DEGREES = 0.0001


def _feature(level: str, code: str, name: str, wkb: bytes) -> dict[str, Any]:
    geom = shapely.from_wkb(wkb).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name},
        "geometry": shapely.geometry.mapping(geom),
    }


def town_outlines(session: Session, town_code: str) -> bytes:
    if session.get(Town, town_code) is None:
        raise NotFound("镇街不存在", code="town_not_found", message_en="no such town")
    communities = session.execute(
        select(Community.code, Community.name, Community.geometry_wkb).where(
            Community.town_code == town_code, Community.geometry_wkb.is_not(None)
        )
    )
    features = [_feature("community", c, n, w) for c, n, w in communities if w is not None]
    cells = session.execute(
        select(GridCell.code, GridCell.geometry_wkb).where(GridCell.town_code == town_code)
    )
    features += [_feature("grid_cell", c, c, w) for c, w in cells]
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
