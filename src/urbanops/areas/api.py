"""Area routes: locate a point, list towns and units."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from urbanops.areas import outlines, service
from urbanops.areas.models import Town, Unit
from urbanops.core.geo import Datum
from urbanops.core.web import PROBLEM_RESPONSES, SessionDep

router = APIRouter(prefix="/api/v1", tags=["areas"], responses=PROBLEM_RESPONSES)


class LocationOut(BaseModel):
    lat: float
    lon: float
    town_code: str
    town_name: str
    community_code: str | None
    community_name: str | None
    grid_cell_code: str | None
    snapped_m: float | None = Field(
        default=None,
        description=(
            "点位不在任何镇街内、已归入最近镇街时，与该镇街的距离（米）；点位在镇街内时为空 / "
            "metres to the nearest town when the point lies in none and was given to it; "
            "null when the point is inside a town"
        ),
    )


class TownOut(BaseModel):
    code: str
    name: str
    has_boundary: bool


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    town_code: str | None


@router.get("/locate", response_model=LocationOut)
def locate(
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude in `datum`")],
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude in `datum`")],
    datum: Datum = Datum.wgs84,
) -> LocationOut:
    wlat, wlon, loc = service.locate(session, lat, lon, datum)
    return LocationOut(lat=wlat, lon=wlon, **loc.__dict__)


@router.get("/towns", response_model=list[TownOut])
def towns(session: SessionDep) -> list[TownOut]:
    rows = session.execute(
        select(Town.code, Town.name, Town.geometry_wkb.is_not(None)).order_by(Town.code)
    )
    return [TownOut(code=c, name=n, has_boundary=b) for c, n, b in rows]


@router.get("/units", response_model=list[UnitOut])
def units(session: SessionDep) -> list[UnitOut]:
    rows = session.scalars(
        select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.kind, Unit.code)
    )
    return [
        UnitOut(id=u.id, code=u.code, name=u.name, kind=u.kind, town_code=u.town_code) for u in rows
    ]


@router.get(
    "/towns.geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def towns_geojson(session: SessionDep) -> Response:
    """Town boundaries (simplified to ~20 m) as the offline base layer of the maps."""
    return Response(
        content=service.towns_geojson(session),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    "/towns/{town_code}/outlines.geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def town_outlines(
    session: SessionDep, town_code: Annotated[str, Path(pattern=r"^[0-9]{9}$")]
) -> Response:
    """A town's community and grid-cell outlines (the console map's base when zoomed in)."""
    return Response(
        content=outlines.town_outlines(session, town_code),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
