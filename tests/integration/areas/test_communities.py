"""Importing community polygons: points then resolve to communities, and grid codes carry them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas import reference
from urbanops.areas import service as areas
from urbanops.areas.models import GridCell, Town
from urbanops.core.errors import InvalidInput

HUMEN_TOWN = "441900121"


@pytest.fixture
def fresh_index() -> Iterator[None]:
    areas.invalidate()
    yield
    areas.invalidate()  # the test's rows are rolled back: forget what was read from them


def test_imported_communities_are_located_and_coded(
    session: Session, tmp_path: Path, fresh_index: None
) -> None:
    town = shapely.from_wkb(
        session.scalar(select(Town.geometry_wkb).where(Town.code == HUMEN_TOWN))
    )
    community = town.intersection(shapely.box(113.68, 22.80, 113.71, 22.83))
    path = tmp_path / "communities.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "441900121004"},
                        "geometry": shapely.geometry.mapping(community),
                    }
                ],
            }
        )
    )
    assert reference.import_community_polygons(session, path) == 1
    reference.generate_grid(session, 500)
    areas.invalidate()
    _, _, loc = areas.locate(session, 22.8191, 113.6968)
    assert loc.community_code == "441900121004"
    assert loc.grid_cell_code is not None and loc.grid_cell_code.startswith("441900121004")
    codes = session.scalars(
        select(GridCell.code).where(GridCell.community_code == "441900121004")
    ).all()
    assert codes and all(c[9:12] == "004" for c in codes)


def test_unknown_community_code_refuses_the_whole_file(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "441900999999"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[113.7, 22.8], [113.71, 22.8], [113.71, 22.81], [113.7, 22.8]]
                            ],
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(InvalidInput) as err:
        reference.import_community_polygons(session, path)
    assert err.value.code == "unknown_community"
    path.write_text("{not json")
    with pytest.raises(InvalidInput):
        reference.import_community_polygons(session, path)
