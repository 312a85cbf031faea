"""The stage clock: a running stage's deadline (`due_at`) from the matter's time limits and the
working calendar, approved extensions, and when the deadline sweep must look at the case next.

The functions here set clock columns on a case that the apply step (`cases.timeline`) has
already checked; they never write a timeline row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from urbanops.cases.deadlines import Ladder, LadderPolicy, ladder_level, next_step_at
from urbanops.cases.models import Case, ExtensionRequest
from urbanops.cases.workflow import CaseStatus, stage_for
from urbanops.catalogue.models import TimeLimit
from urbanops.core.cache import RefCache
from urbanops.core.calendar import Due, TimeUnit, WorkingCalendar
from urbanops.core.calendar_store import load_calendar
from urbanops.core.errors import ScheduleUnknown
from urbanops.core.settings import get_settings

CACHE_SECONDS = 60.0
Reference = tuple[dict[tuple[str, str], tuple[float, str]], WorkingCalendar]
_ref: RefCache[Reference] = RefCache(CACHE_SECONDS)


def _reference(session: Session) -> Reference:
    def load() -> Reference:
        limits = {
            (t.matter_code, t.stage): (t.amount, t.unit) for t in session.scalars(select(TimeLimit))
        }
        return limits, load_calendar(session)

    return _ref.get(load)


def working_calendar(session: Session) -> WorkingCalendar:
    return _reference(session)[1]


def calendar_changed(session: Session) -> None:
    """Drop the cached calendar now and again when `session` ends its transaction (so that no
    thread keeps a calendar read before the change committed, or one that was rolled back)."""
    _ref.invalidate()
    for name in ("after_commit", "after_rollback"):
        if not event.contains(session, name, _invalidate_reference):
            event.listen(session, name, _invalidate_reference, once=True)


def _invalidate_reference(_session: Session) -> None:
    _ref.invalidate()


def ladder_policy() -> LadderPolicy:
    d = get_settings().deadlines
    return LadderPolicy(
        remind_fraction=d.remind_fraction,
        urge_after=timedelta(hours=d.urge_after_hours),
        escalate_after=timedelta(hours=d.escalate_after_hours),
    )


@dataclass(frozen=True)
class Deadline:
    """A running stage's deadline: when it is due (None: no limit, or not computable), whether
    it was counted on weekdays alone through an unpublished year, or is unknown beyond it."""

    due_at: datetime | None = None
    unknown: bool = False
    provisional: bool = False

    @staticmethod
    def of(case: Case) -> Deadline:
        return Deadline(case.due_at, case.deadline_unknown, case.deadline_provisional)

    def columns(self) -> dict[str, Any]:
        return {
            "due_at": self.due_at,
            "deadline_unknown": self.unknown,
            "deadline_provisional": self.provisional,
        }

    def set_on(self, case: Case) -> None:
        case.due_at, case.deadline_unknown = self.due_at, self.unknown
        case.deadline_provisional = self.provisional


def stage_deadline(
    session: Session,
    case: Case,
    stage: str,
    start: datetime,
    calendar: WorkingCalendar | None = None,
) -> Deadline:
    """The deadline of `case`'s stage starting at `start`: none when the matter has no limit;
    provisional when the count ran through the next unpublished year; unknown beyond it."""
    if case.matter_code is None:
        return Deadline()
    limits, cached = _reference(session)
    limit = limits.get((case.matter_code, stage))
    if limit is None:
        return Deadline()
    try:
        due = (calendar or cached).due(start, limit[0], TimeUnit(limit[1]))
    except ScheduleUnknown:
        return Deadline(unknown=True)
    return Deadline(due.at, provisional=due.provisional)


def extended(deadline: Deadline, calendar: WorkingCalendar, amount: float, unit: str) -> Deadline:
    """`deadline` moved by an approved extension (unknown when the calendar is)."""
    if deadline.due_at is None:
        return deadline
    try:
        due: Due = calendar.due(deadline.due_at, amount, TimeUnit(unit))
    except ScheduleUnknown:
        return Deadline(unknown=True)
    return Deadline(due.at, provisional=deadline.provisional or due.provisional)


def with_extensions(
    session: Session, case: Case, deadline: Deadline, calendar: WorkingCalendar
) -> Deadline:
    """`deadline` moved by the extensions approved since the running stage started, in the
    order they were approved."""
    if case.stage_started_at is None:
        return deadline
    for req in session.scalars(
        select(ExtensionRequest)
        .where(
            ExtensionRequest.case_id == case.id,
            ExtensionRequest.status == "approved",
            ExtensionRequest.decided_at >= case.stage_started_at,
        )
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    ):
        deadline = extended(deadline, calendar, req.amount, req.unit)
    return deadline


def start_clock(session: Session, case: Case, now: datetime) -> None:
    """Start the clock of the stage the case's (new) status runs, or stop it."""
    stage = stage_for(CaseStatus(case.status))
    case.stage = str(stage) if stage else None
    case.overdue = False
    case.escalation_level = 0
    if stage is None:
        case.stage_started_at = case.due_at = case.next_step_at = None
        case.deadline_unknown = case.deadline_provisional = False
        return
    case.stage_started_at = now
    stage_deadline(session, case, stage, now).set_on(case)
    schedule_ladder(case)


def keep_clock_from_dispatch(session: Session, case: Case) -> None:
    """Work started on a dispatched case: the handle clock keeps running from dispatch (with the
    extensions approved since), not from the start of work."""
    dispatched = case.dispatched_at or case.stage_started_at
    if dispatched is not None and case.stage == "handle":
        case.stage_started_at = dispatched
        calendar = working_calendar(session)
        deadline = stage_deadline(session, case, "handle", dispatched)
        with_extensions(session, case, deadline, calendar).set_on(case)
        schedule_ladder(case)


def schedule_ladder(case: Case) -> None:
    """Set when the deadline sweep must next look at the case."""
    if case.due_at is None or case.stage_started_at is None:
        case.next_step_at = None
        return
    case.next_step_at = next_step_at(
        case.escalation_level, case.stage_started_at, case.due_at, ladder_policy()
    )


def rejoin_ladder(case: Case, now: datetime) -> None:
    """After a deadline moved: step back down the ladder if the new deadline is further off
    (steps already recorded stay in the timeline); the sweep climbs any step now due."""
    if case.due_at is None or case.stage_started_at is None:
        case.escalation_level, case.overdue = 0, False
    else:
        reached = ladder_level(now, case.stage_started_at, case.due_at, ladder_policy())
        case.escalation_level = min(case.escalation_level, int(reached))
        case.overdue = case.escalation_level >= Ladder.overdue
    schedule_ladder(case)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
