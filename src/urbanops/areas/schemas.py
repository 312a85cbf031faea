"""Area API shapes shown to citizens: service stations."""

from __future__ import annotations

from pydantic import BaseModel


class StationOut(BaseModel):
    id: int
    name: str
    town_code: str | None
    address: str
    lat: float
    lon: float
    amenities: list[str]
    opening_hours: str
    is_demo: bool
