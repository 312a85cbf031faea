"""Earning routes: the citizen's points (`/api/v1/citizen/rewards`, balance and entries), and the
rewards staff's farming flags, manual adjustments and view of one citizen's points
(`/api/v1/rewards/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from urbanops.core.settings import get_settings
from urbanops.core.types import DbId, Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity import citizens
from urbanops.identity.deps import CitizenDep, StaffDep
from urbanops.identity.models import Citizen
from urbanops.rewards import farming, points
from urbanops.rewards.flag_models import RewardsFlag
from urbanops.rewards.prizes import require_rewards_staff

citizen_router = APIRouter(
    prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES
)
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


class RewardsOut(BaseModel):
    pending: int
    available: int
    value_fen: int  # what the available points are worth
    value_yuan: str  # the same in yuan, two decimals ("12.30")
    point_value_fen: int
    share_code: str  # what the citizen's share links carry (`ref` at sign-in)
    valid_reports: int  # cases whose points were released
    pending_reports: int
    assists: int
    frozen: bool
    enabled: bool  # the campaign runs


class EntryOut(BaseModel):
    id: int
    at: datetime
    kind: str
    kind_label: str
    kind_label_en: str
    pending_delta: int
    available_delta: int
    reason: str
    ref_type: str
    ref_id: str
    case_id: int | None
    case_number: str | None


class EntriesOut(BaseModel):
    entries: list[EntryOut]
    next_before_id: int | None  # pass as `before_id` for the next page; None: no more


class StaffCitizenOut(BaseModel):
    citizen_id: int
    nickname: str
    phone: str  # masked
    rewards: RewardsOut
    frozen_reason: str | None
    invited_by_id: int | None
    entries: list[EntryOut]
    flags: list[FlagOut]


class AdjustmentIn(Strict):
    citizen_id: DbId
    delta: Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="+/- on available")]
    reason: Annotated[Line, Field(min_length=1, max_length=200)]


class AdjustmentOut(BaseModel):
    entry: EntryOut
    pending: int
    available: int


def _rewards_out(s: points.Summary) -> RewardsOut:
    return RewardsOut(
        pending=s.balance.pending,
        available=s.balance.available,
        value_fen=s.value_fen,
        value_yuan=f"{s.value_fen // 100}.{s.value_fen % 100:02d}",
        point_value_fen=get_settings().rewards.point_value_fen,
        share_code=s.share_code,
        valid_reports=s.valid_reports,
        pending_reports=s.pending_reports,
        assists=s.assists,
        frozen=s.frozen,
        enabled=get_settings().rewards.enabled,
    )


def _entry_out(v: points.EntryView) -> EntryOut:
    e = v.entry
    return EntryOut(
        id=e.id,
        at=e.at,
        kind=e.kind,
        kind_label=v.label,
        kind_label_en=v.label_en,
        pending_delta=e.pending_delta,
        available_delta=e.available_delta,
        reason=e.reason,
        ref_type=e.ref_type,
        ref_id=e.ref_id,
        case_id=v.case_id,
        case_number=v.case_number,
    )


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


# --- the citizen's -----------------------------------------------------------------------------


@citizen_router.get("/rewards", response_model=RewardsOut)
def my_rewards(session: SessionDep, now: NowDep, citizen: CitizenDep) -> RewardsOut:
    """My points: pending (until the case is verified) and available, their value, my share
    code, and how many of my reports were valid and how many assists I earned."""
    return _rewards_out(points.summary(session, citizen, now))


@citizen_router.get("/rewards/entries", response_model=EntriesOut)
def my_entries(
    session: SessionDep,
    citizen: CitizenDep,
    before_id: Annotated[DbId | None, Query(description="paging: older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EntriesOut:
    """My points' history, newest first, a page at a time."""
    rows = points.entries(session, citizen.id, before_id=before_id, limit=limit)
    return EntriesOut(
        entries=[_entry_out(v) for v in rows],
        next_before_id=rows[-1].entry.id if len(rows) == limit else None,
    )


# --- the rewards staff's: adjustments and one citizen's points ----------------------------------


@staff_router.post("/adjustments", response_model=AdjustmentOut, status_code=201)
def adjust(
    session: SessionDep,
    now: NowDep,
    actor: StaffDep,
    body: AdjustmentIn,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(description="required: any 1-80 visible ASCII characters, the same on a retry"),
    ] = None,
) -> AdjustmentOut:
    """Add or take available points with a reason (audited): 201, or 200 with the same entry
    for a repeated `Idempotency-Key`; 409 when it would leave fewer than 0 points."""
    done = points.adjust_points(
        session,
        actor=actor,
        now=now,
        citizen_id=body.citizen_id,
        delta=body.delta,
        reason=body.reason,
        idempotency_key=idempotency_key,
    )
    if done.replayed:
        response.status_code = 200
    view = points.EntryView(done.entry, *points.KIND_LABELS["adjust"], None, None)
    return AdjustmentOut(
        entry=_entry_out(view), pending=done.balance.pending, available=done.balance.available
    )


@staff_router.get("/citizens/{citizen_id}", response_model=StaffCitizenOut)
def citizen_points(
    session: SessionDep, now: NowDep, actor: StaffDep, citizen_id: DbId
) -> StaffCitizenOut:
    """One citizen's balance, latest entries and farming flags."""
    require_rewards_staff(actor)
    person = points.require_citizen(session, citizen_id)
    s = points.summary(session, person, now)
    return StaffCitizenOut(
        citizen_id=person.id,
        nickname=person.nickname,
        phone=citizens.mask_phone(person.phone),
        rewards=_rewards_out(s),
        frozen_reason=s.frozen_reason,
        invited_by_id=s.invited_by_id,
        entries=[_entry_out(v) for v in points.entries(session, person.id, limit=50)],
        flags=[flag_out(session, f) for f in farming.flags_of(session, person.id)],
    )
