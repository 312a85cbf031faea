"""The citizen app's map of service stations (城市服务驿站); open to everyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from urbanops.areas import queries
from urbanops.areas.schemas import StationOut
from urbanops.core.types import Line
from urbanops.core.web import PROBLEM_RESPONSES, SessionDep

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES)


@router.get("/stations", response_model=list[StationOut])
def stations(
    session: SessionDep, town_code: Annotated[Line | None, Query(max_length=9)] = None
) -> list[StationOut]:
    return queries.service_stations(session, town_code)
