"""Service stations (城市服务驿站) run by an admin: name, address, opening hours, facilities
and the point on the map; created, edited and deleted with an audit entry each.

The town is the one the point lies in (`areas.service.locate`, which refuses a point outside
the city), never typed. The demo set (data/service_stations_demo.csv, `is_demo`) stays marked
as demo in the admin's list and the citizens' map until it is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.admin.access import require_admin
from urbanops.areas import service as areas
from urbanops.areas.models import ServiceStation
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.identity.roles import Actor

#: The facilities a station may offer, in the citizen app's words (static/m/i18n.js).
FACILITIES: dict[str, tuple[str, str]] = {
    "water": ("饮水", "Water"),
    "toilet": ("厕所", "Toilet"),
    "air_conditioning": ("空调", "A/C"),
    "microwave": ("微波炉", "Microwave"),
    "wifi": ("无线网络", "Wi-Fi"),
    "charging": ("充电", "Charging"),
    "first_aid": ("急救箱", "First aid"),
}


@dataclass(frozen=True)
class StationData:
    name: str
    address: str
    opening_hours: str
    amenities: Sequence[str]
    lat: float
    lon: float


def state(s: ServiceStation) -> dict[str, Any]:
    return {
        "name": s.name,
        "town_code": s.town_code,
        "address": s.address,
        "opening_hours": s.opening_hours,
        "amenities": list(s.amenities),
        "lat": s.lat,
        "lon": s.lon,
        "is_demo": s.is_demo,
    }


def list_stations(session: Session, *, actor: Actor) -> list[ServiceStation]:
    require_admin(actor)
    return list(
        session.scalars(
            select(ServiceStation).order_by(ServiceStation.town_code, ServiceStation.id)
        )
    )


def _values(session: Session, data: StationData) -> dict[str, Any]:
    unknown = [a for a in data.amenities if a not in FACILITIES]
    if unknown:
        raise InvalidInput(
            f"设施“{unknown[0]}”无效",
            code="unknown_facility",
            message_en=f"unknown facility {unknown[0]!r}",
            extra={"field": "amenities"},
        )
    lat, lon, location = areas.locate(session, data.lat, data.lon)
    return {
        "name": data.name,
        "address": data.address,
        "opening_hours": data.opening_hours,
        "amenities": [a for a in FACILITIES if a in set(data.amenities)],
        "lat": lat,
        "lon": lon,
        "town_code": location.town_code,
    }


def create_station(
    session: Session, *, actor: Actor, now: datetime, data: StationData
) -> ServiceStation:
    require_admin(actor)
    station = ServiceStation(**_values(session, data), is_demo=False)
    session.add(station)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="service_station",
        key=station.id,
        change="create",
        after=state(station),
    )
    return station


def _get(session: Session, station_id: int) -> ServiceStation:
    station = session.get(ServiceStation, station_id, with_for_update=True)
    if station is None:
        raise NotFound("驿站不存在", code="station_not_found", message_en="no such station")
    return station


def update_station(
    session: Session, *, actor: Actor, now: datetime, station_id: int, data: StationData
) -> ServiceStation:
    require_admin(actor)
    station = _get(session, station_id)
    before = state(station)
    for name, value in _values(session, data).items():
        setattr(station, name, value)
    session.flush()
    old, new = audit.changed(before, state(station))
    if new:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="service_station",
            key=station.id,
            change="update",
            before=old,
            after=new,
        )
    return station


def delete_station(session: Session, *, actor: Actor, now: datetime, station_id: int) -> None:
    require_admin(actor)
    station = _get(session, station_id)
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="service_station",
        key=station.id,
        change="delete",
        before=state(station),
    )
    session.delete(station)
    session.flush()
