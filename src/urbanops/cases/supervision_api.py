"""The leaders' routes: the urged and escalated cases in my charge, and the overdue counts by
town and by unit. A leader's 批示 is the case action `instruct` (`POST
/api/v1/cases/{id}/actions/instruct`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from urbanops.cases import supervision
from urbanops.cases.workflow import STATUS_LABELS_ZH, CaseStatus, label
from urbanops.core.web import PROBLEM_RESPONSES, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/leader", tags=["leaders"], responses=PROBLEM_RESPONSES)


class SupervisedOut(BaseModel):
    """An open case that was urged or escalated, with the latest such step (who and why)."""

    case_id: int
    number: str
    status: str
    status_label: str
    description: str
    town_name: str | None
    unit_name: str | None
    due_at: datetime | None
    overdue: bool
    last_action: str
    last_action_label: str
    last_at: datetime
    last_by: str
    last_note: str
    urges: int
    escalations: int


class SupervisedPage(BaseModel):
    items: list[SupervisedOut]
    total: int
    page: int
    page_size: int


class CountOut(BaseModel):
    key: str  # the town's code or the unit's id ("" for cases without one)
    name: str
    overdue: int


class OverdueOut(BaseModel):
    total: int
    by_town: list[CountOut]
    by_unit: list[CountOut]


@router.get("/supervised", response_model=SupervisedPage)
def supervised(
    session: SessionDep,
    actor: StaffDep,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SupervisedPage:
    """The open cases in my charge that were urged (督办) or escalated (提级), latest first."""
    rows, total = supervision.supervised_cases(session, actor, page=page, page_size=page_size)
    items = [
        SupervisedOut(
            case_id=r.case.id,
            number=r.case.number,
            status=r.case.status,
            status_label=STATUS_LABELS_ZH[CaseStatus(r.case.status)],
            description=r.case.description,
            town_name=r.town_name,
            unit_name=r.unit_name,
            due_at=r.case.due_at,
            overdue=r.case.overdue,
            last_action=r.action,
            last_action_label=label(r.action),
            last_at=r.at,
            last_by=r.by,
            last_note=r.note,
            urges=r.urges,
            escalations=r.escalations,
        )
        for r in rows
    ]
    return SupervisedPage(items=items, total=total, page=page, page_size=page_size)


@router.get("/overdue", response_model=OverdueOut)
def overdue(session: SessionDep, actor: StaffDep) -> OverdueOut:
    """The open overdue cases in my charge, counted by town and by unit."""
    by_town, by_unit = supervision.overdue_counts(session, actor)

    def out(counts: list[supervision.Count]) -> list[CountOut]:
        return [CountOut(key=c.key, name=c.name, overdue=c.overdue) for c in counts]

    return OverdueOut(
        total=sum(c.overdue for c in by_town), by_town=out(by_town), by_unit=out(by_unit)
    )
