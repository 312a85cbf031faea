"""Cases a clerk may merge a case into (并案候选): open, not merged themselves, of the same
matter class when the case has a matter, within `RADIUS_M`, reported at most `WINDOW` before
it (or since); the nearest first. Read through the h3 cells around the case (the `h3_cell`
index), then by distance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.cases.queries import case_scope, ensure_visible, get_case
from urbanops.cases.workflow import OPEN_STATUSES
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor
from urbanops.reports.service import distance_m

RADIUS_M = 200.0
WINDOW = timedelta(days=30)
LIMIT = 10


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float


def merge_candidates(session: Session, actor: Actor, case_id: int) -> list[Candidate]:
    case = get_case(session, case_id)
    ensure_visible(actor, case)
    scope = case_scope(actor)
    res = get_settings().geo.h3_resolution
    ring = max(1, math.ceil(RADIUS_M / h3.average_hexagon_edge_length(res, unit="m")))
    cells = list(h3.grid_disk(h3.latlng_to_cell(case.lat, case.lon, res), ring))
    stmt = select(Case).where(
        Case.h3_cell.in_(cells),
        Case.id != case.id,
        Case.status.in_([str(s) for s in OPEN_STATUSES]),
        Case.merged_into_id.is_(None),
        Case.reported_at >= case.reported_at - WINDOW,
    )
    if case.matter_code:
        stmt = stmt.where(Case.matter_code.startswith(case.matter_code[:2]))
    if (scoped := scope.condition()) is not None:
        stmt = stmt.where(scoped)
    near = [
        Candidate(c, d)
        for c in session.scalars(stmt)
        if (d := distance_m(case.lat, case.lon, c.lat, c.lon)) <= RADIUS_M
    ]
    return sorted(near, key=lambda c: (c.distance_m, c.case.id))[:LIMIT]
