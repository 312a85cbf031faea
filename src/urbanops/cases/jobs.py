"""Case jobs: the deadline sweep that marks overdue cases and climbs the escalation ladder."""

from __future__ import annotations

import logging
from datetime import datetime

from procrastinate import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.deadlines import Ladder, ladder_level, next_step_at
from urbanops.cases.models import Case
from urbanops.cases.service import ladder_policy, record
from urbanops.cases.workflow import CaseAction
from urbanops.core.clock import scheduled_at
from urbanops.core.db import unit_of_work
from urbanops.identity.roles import SYSTEM

log = logging.getLogger(__name__)
blueprint = Blueprint()

CLOCKED = (
    "accepted",
    "registered",
    "returned",
    "dispatched",
    "in_progress",
    "reopened",
    "awaiting_verification",
)
STEP_ACTIONS = {
    Ladder.reminded: CaseAction.remind,
    Ladder.overdue: CaseAction.mark_overdue,
    Ladder.urged: CaseAction.urge,
    Ladder.escalated: CaseAction.escalate,
}
BATCH = 500


def sweep(session: Session, now: datetime, batch: int = BATCH) -> int:
    """Climb the ladder for every running stage whose next step is due; returns cases seen."""
    pol = ladder_policy()
    cases = session.scalars(
        select(Case)
        .where(Case.next_step_at <= now, Case.status.in_(CLOCKED))
        .order_by(Case.next_step_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    steps = 0
    for case in cases:
        if case.due_at is None or case.stage_started_at is None:
            case.next_step_at = None
            continue
        target = ladder_level(now, case.stage_started_at, case.due_at, pol)
        for level in range(case.escalation_level + 1, int(target) + 1):
            case.escalation_level = level
            if level >= Ladder.overdue:
                case.overdue = True
            record(
                session,
                case,
                STEP_ACTIONS[Ladder(level)],
                actor=SYSTEM,
                now=now,
                from_status=case.status,
                data={"stage": case.stage, "due_at": case.due_at.isoformat(), "level": level},
                public=False,
            )
            steps += 1
        case.next_step_at = next_step_at(
            case.escalation_level, case.stage_started_at, case.due_at, pol
        )
    return len(cases)


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="sweep_deadlines", queueing_lock="sweep_deadlines", pass_context=False)
def sweep_deadlines(timestamp: int | None = None) -> int:
    """Every minute: the sweep as at the minute it was scheduled for (the injected clock)."""
    now = scheduled_at(timestamp)
    total = 0
    while True:
        with unit_of_work() as session:
            seen = sweep(session, now)
        total += seen
        if seen < BATCH:
            break
    if total:
        log.info("deadline sweep: %d cases escalated", total)
    return total
