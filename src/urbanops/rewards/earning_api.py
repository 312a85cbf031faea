"""Earning routes: the rewards staff's farming flags (`/api/v1/rewards/flags`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from urbanops.core.types import DbId, Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity import citizens
from urbanops.identity.deps import StaffDep
from urbanops.identity.models import Citizen
from urbanops.rewards import farming
from urbanops.rewards.flag_models import RewardsFlag

staff_router = APIRouter(prefix="/api/v1/rewards", tags=["rewards"], responses=PROBLEM_RESPONSES)

FlagStatus = Literal["open", "dismissed", "confirmed"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FlagOut(BaseModel):
    id: int
    citizen_id: int
    citizen_nickname: str
    citizen_phone: str  # masked
    signal: str
    signal_label: str
    signal_label_en: str
    evidence: dict[str, Any]
    status: str
    created_at: datetime
    reviewed_at: datetime | None
    review_note: str | None


class ReviewIn(Strict):
    note: Annotated[Line, Field(max_length=200)] = ""


def flag_out(session: SessionDep, f: RewardsFlag) -> FlagOut:
    person = session.get(Citizen, f.citizen_id)
    assert person is not None
    zh, en = farming.SIGNAL_LABELS[f.signal]
    return FlagOut(
        id=f.id,
        citizen_id=f.citizen_id,
        citizen_nickname=person.nickname,
        citizen_phone=citizens.mask_phone(person.phone),
        signal=f.signal,
        signal_label=zh,
        signal_label_en=en,
        evidence=f.evidence,
        status=f.status,
        created_at=f.created_at,
        reviewed_at=f.reviewed_at,
        review_note=f.review_note,
    )


@staff_router.get("/flags", response_model=list[FlagOut])
def flags(
    session: SessionDep,
    actor: StaffDep,
    status: FlagStatus | None = None,
    citizen_id: Annotated[DbId | None, Query()] = None,
    before_id: Annotated[DbId | None, Query(description="paging: older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[FlagOut]:
    """Farming flags, newest first, by state and citizen, with their evidence."""
    rows = farming.list_flags(
        session,
        actor=actor,
        status=status,
        citizen_id=citizen_id,
        before_id=before_id,
        limit=limit,
    )
    return [flag_out(session, f) for f in rows]


@staff_router.post("/flags/{flag_id}/confirm", response_model=FlagOut)
def confirm(
    session: SessionDep, now: NowDep, actor: StaffDep, flag_id: DbId, body: ReviewIn | None = None
) -> FlagOut:
    """The farming is real: the citizen's earning is frozen (audited)."""
    note = body.note if body else ""
    return flag_out(
        session,
        farming.confirm_flag(session, actor=actor, now=now, flag_id=flag_id, note=note),
    )


@staff_router.post("/flags/{flag_id}/dismiss", response_model=FlagOut)
def dismiss(
    session: SessionDep, now: NowDep, actor: StaffDep, flag_id: DbId, body: ReviewIn | None = None
) -> FlagOut:
    """Not farming: a confirmed flag dismissed lifts the freeze it set (audited)."""
    note = body.note if body else ""
    return flag_out(
        session,
        farming.dismiss_flag(session, actor=actor, now=now, flag_id=flag_id, note=note),
    )
