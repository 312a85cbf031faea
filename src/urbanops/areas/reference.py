"""Loads Dongguan's towns, communities, units, the default responsibility matrix and the grid.

Idempotent: rows that exist are left as they are (an admin may have edited them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import shapely
from shapely.geometry import shape
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.areas.models import City, Community, GridCell, Responsibility, Town, Unit
from urbanops.core import geo
from urbanops.core.errors import InvalidInput
from urbanops.core.resources import DATA_DIR, read_csv

CITY_CODE, CITY_NAME = "441900", "东莞市"
SUFFIXES = ("街道", "镇")


def short_town_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def load_areas(session: Session) -> None:
    session.execute(insert(City).values(code=CITY_CODE, name=CITY_NAME).on_conflict_do_nothing())
    shapes = {
        s.code: s
        for s in geo.load_town_shapes(
            DATA_DIR / "dongguan/towns.geojson", DATA_DIR / "dongguan/towns.csv"
        )
    }
    towns = read_csv("dongguan/towns.csv")
    session.execute(
        insert(Town)
        .values(
            [
                {
                    "code": t["code"],
                    "city_code": CITY_CODE,
                    "name": t["name"],
                    "geometry_wkb": shapely.to_wkb(shapes[t["code"]].geometry)
                    if t["code"] in shapes
                    else None,
                }
                for t in towns
            ]
        )
        .on_conflict_do_nothing()
    )
    session.execute(
        insert(Community)
        .values(
            [
                {"code": c["code"], "town_code": c["streetCode"], "name": c["name"]}
                for c in read_csv("dongguan/communities.csv")
            ]
        )
        .on_conflict_do_nothing()
    )
    units = [
        {
            "code": f"branch_{t['code']}",
            "name": f"{short_town_name(t['name'])}城管分局",
            "kind": "town_branch",
            "town_code": t["code"],
        }
        for t in towns
    ] + [{**u, "town_code": None} for u in read_csv("units.csv")]
    session.execute(insert(Unit).values(units).on_conflict_do_nothing())
    session.flush()
    if session.scalar(select(func.count()).select_from(Responsibility)) == 0:
        unit_ids = dict(session.execute(select(Unit.code, Unit.id)).all())
        rows = [
            {
                "town_code": t["code"],
                "matter_class": None,
                "matter_code": None,
                "unit_id": unit_ids[f"branch_{t['code']}"],
            }
            for t in towns
        ] + [
            {
                "town_code": r["town"] or None,
                "matter_class": r["matter_class"] or None,
                "matter_code": r["matter"] or None,
                "unit_id": unit_ids[r["unit"]],
            }
            for r in read_csv("responsibility.csv")
        ]
        session.execute(insert(Responsibility).values(rows))
    session.flush()


def generate_grid(
    session: Session,
    cell_size_m: float,
    region_code: str = CITY_CODE,
    progress: Callable[[str], None] | None = None,
) -> int:
    """(Re)build the grid cells over the towns; codes are a function of the inputs only."""
    towns = [
        geo.AreaShape(code, name, shapely.from_wkb(wkb))
        for code, name, wkb in session.execute(
            select(Town.code, Town.name, Town.geometry_wkb).where(Town.geometry_wkb.is_not(None))
        )
    ]
    communities = [
        geo.AreaShape(code, name, shapely.from_wkb(wkb))
        for code, name, wkb in session.execute(
            select(Community.code, Community.name, Community.geometry_wkb).where(
                Community.geometry_wkb.is_not(None)
            )
        )
    ]
    if progress:
        progress(f"generating {cell_size_m:g} m grid over {len(towns)} towns")
    cells = geo.generate_grid(
        towns, cell_size_m=cell_size_m, region_code=region_code, communities=communities
    )
    session.execute(delete(GridCell))
    batch = 2000
    for i in range(0, len(cells), batch):
        session.execute(
            insert(GridCell).values(
                [
                    {
                        "code": c.code,
                        "town_code": c.town_code,
                        "community_code": c.community_code,
                        "geometry_wkb": shapely.to_wkb(c.geometry),
                    }
                    for c in cells[i : i + batch]
                ]
            )
        )
        if progress:
            progress(f"stored {min(i + batch, len(cells))}/{len(cells)} cells")
    session.flush()
    return len(cells)


def import_community_polygons(session: Session, path: Path, code_property: str = "code") -> int:
    """Set community polygons from a GeoJSON FeatureCollection whose features carry the
    12-digit community code in `code_property`. All-or-nothing: any unknown code refuses all."""
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"无法读取社区边界文件：{exc}", code="invalid_geojson", message_en=f"cannot read: {exc}"
        ) from exc
    known = set(session.scalars(select(Community.code)))
    updates: dict[str, bytes] = {}
    for i, feature in enumerate(features):
        code = str((feature.get("properties") or {}).get(code_property, ""))
        if code not in known:
            raise InvalidInput(
                f"第 {i + 1} 个要素的社区代码“{code}”不存在",
                code="unknown_community",
                message_en=f"feature {i + 1}: unknown community code {code!r}",
            )
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:  # shapely raises several types for malformed input
            raise InvalidInput(
                f"第 {i + 1} 个要素的几何无效", code="invalid_geojson", message_en=str(exc)
            ) from exc
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidInput(
                f"第 {i + 1} 个要素不是面", code="invalid_geojson", message_en="not a polygon"
            )
        updates[code] = shapely.to_wkb(shapely.make_valid(geom))
    for code, wkb in updates.items():
        session.execute(update(Community).where(Community.code == code).values(geometry_wkb=wkb))
    session.flush()
    return len(updates)
