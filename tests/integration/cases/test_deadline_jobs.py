"""The deadline sweep on the real schema: one ladder row per step, late steps caught up.

(Jobs run by a real worker: tests/integration/jobs/test_who_is_told.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.sweep import sweep

from ...factories import HUMEN, report_case
from ..conftest import NOW


def ladder(session: Session, case: Case) -> list[str]:
    return list(
        session.scalars(
            select(CaseEvent.action)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.actor_kind == "system",
                CaseEvent.action.in_(["remind", "mark_overdue", "urge", "escalate"]),
            )
            .order_by(CaseEvent.id)
        )
    )


def test_sweep_climbs_the_ladder_once_per_step(session: Session) -> None:
    case = report_case(session, now=NOW, where=HUMEN, matter_code="09006").case  # 4 hours
    assert case.due_at == NOW + timedelta(hours=4)
    sweep(session, NOW + timedelta(hours=1))
    assert ladder(session, case) == [] and not case.overdue
    sweep(session, NOW + timedelta(hours=3, minutes=30))
    assert ladder(session, case) == ["remind"]
    sweep(session, NOW + timedelta(hours=5))
    sweep(session, NOW + timedelta(hours=5, minutes=1))  # nothing new: already overdue
    assert ladder(session, case) == ["remind", "mark_overdue"] and case.overdue
    sweep(session, NOW + timedelta(days=10))
    assert ladder(session, case) == ["remind", "mark_overdue", "urge", "escalate"]
    assert case.escalation_level == 4 and case.next_step_at is None


def test_a_late_sweep_records_every_step_it_skipped(session: Session) -> None:
    case = report_case(session, now=NOW, where=HUMEN, matter_code="09006").case
    sweep(session, NOW + timedelta(days=5))
    assert ladder(session, case) == ["remind", "mark_overdue", "urge", "escalate"]
