"""What the system does to many cases at once: the deadline sweep that climbs the escalation
ladder, and recomputing deadlines when a holiday schedule is published. Every row they write
goes through the apply step, so the registry's table holds for the system too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from urbanops.cases import clock
from urbanops.cases.deadlines import Ladder, ladder_level, next_step_at
from urbanops.cases.models import Case
from urbanops.cases.timeline import apply
from urbanops.cases.workflow import CLOCKED, REGISTRY, CaseAction
from urbanops.core.calendar import SHANGHAI, WorkingCalendar
from urbanops.identity.roles import SYSTEM, Actor

A = CaseAction
STEP_ACTIONS = {
    Ladder.reminded: A.remind,
    Ladder.overdue: A.mark_overdue,
    Ladder.urged: A.urge,
    Ladder.escalated: A.escalate,
}
# the statuses the sweep looks at: a clock runs there, and the table allows every step there
SWEPT = frozenset(
    s for s in CLOCKED if all(s in REGISTRY[a].transitions for a in STEP_ACTIONS.values())
)
SWEPT_VALUES = tuple(sorted(str(s) for s in SWEPT))
BATCH = 500


def sweep(session: Session, now: datetime, batch: int = BATCH) -> int:
    """Climb the ladder for every running stage whose next step is due; returns cases seen."""
    pol = clock.ladder_policy()
    cases = session.scalars(
        select(Case)
        .where(Case.next_step_at <= now, Case.status.in_(SWEPT_VALUES))
        .order_by(Case.next_step_at, Case.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for case in cases:
        if case.due_at is None or case.stage_started_at is None:
            case.next_step_at = None
            continue
        target = ladder_level(now, case.stage_started_at, case.due_at, pol)
        for level in range(case.escalation_level + 1, int(target) + 1):
            apply(
                session,
                case,
                STEP_ACTIONS[Ladder(level)],
                actor=SYSTEM,
                now=now,
                data={"stage": case.stage, "due_at": case.due_at.isoformat(), "level": level},
                changes={"escalation_level": level, "overdue": level >= Ladder.overdue},
            )
        case.next_step_at = next_step_at(
            case.escalation_level, case.stage_started_at, case.due_at, pol
        )
    return len(cases)


def clear_unswept(session: Session) -> int:
    """Cases left with a next step in a status the sweep does not visit (none should be: the
    clock stops there) get none; returns how many were fixed."""
    stale = session.scalars(
        select(Case)
        .where(Case.next_step_at.is_not(None), Case.status.not_in(SWEPT_VALUES))
        .with_for_update(skip_locked=True)
    ).all()
    for case in stale:
        case.next_step_at = None
    return len(stale)


def recompute_deadlines(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    year: int | None = None,
) -> list[Case]:
    """Recompute the running deadline of every case that is provisional or unknown, or whose
    stage runs through `year` (a schedule just published), with `calendar`; returns the cases
    whose deadline changed, each with a staff-only `recompute_deadline` timeline row."""
    touched = or_(Case.deadline_provisional.is_(True), Case.deadline_unknown.is_(True))
    if year is not None:
        first = datetime(year, 1, 1, tzinfo=SHANGHAI)
        end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
        touched = or_(touched, (Case.due_at >= first) & (Case.stage_started_at < end))
    clocked = tuple(sorted(str(s) for s in CLOCKED))
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_(clocked),
            Case.stage.is_not(None),
            Case.stage_started_at.is_not(None),
            touched,
        )
        .order_by(Case.id)
        .with_for_update()
    ).all()
    changed = []
    for case in cases:
        if case.stage is None or case.stage_started_at is None:  # pragma: no cover
            continue
        before = clock.Deadline.of(case)
        computed = clock.stage_deadline(session, case, case.stage, case.stage_started_at, calendar)
        after = clock.with_extensions(session, case, computed, calendar)
        if after == before:
            continue
        apply(
            session,
            case,
            A.recompute_deadline,
            actor=actor,
            now=now,
            data={
                "stage": case.stage,
                "previous_due_at": clock.iso(before.due_at),
                "due_at": clock.iso(after.due_at),
                "provisional": after.provisional,
                "unknown": after.unknown,
            },
            changes=after.columns(),
        )
        clock.rejoin_ladder(case, now)
        changed.append(case)
    return changed
