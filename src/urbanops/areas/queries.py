"""Reading area reference data for lists: the service stations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas.models import ServiceStation
from urbanops.areas.schemas import StationOut


def service_stations(session: Session, town_code: str | None = None) -> list[StationOut]:
    """Every service station (of one town when `town_code` is given), by town (one statement)."""
    stmt = select(ServiceStation).order_by(ServiceStation.town_code, ServiceStation.id)
    if town_code:
        stmt = stmt.where(ServiceStation.town_code == town_code)
    return [
        StationOut(
            id=s.id,
            name=s.name,
            town_code=s.town_code,
            address=s.address,
            lat=s.lat,
            lon=s.lon,
            amenities=list(s.amenities),
            opening_hours=s.opening_hours,
            is_demo=s.is_demo,
        )
        for s in session.scalars(stmt)
    ]
