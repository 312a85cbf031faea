"""The deadline sweep on a case in each status, and the periodic job's loop over batches.

Whatever status a case is in, a sweep long after its deadline raises nothing and writes ladder
rows only where the registry's table allows them: in the statuses whose stage clock runs, and
never in reported, parked, closed, merged or void, even when a stale `next_step_at` says a
step is due there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases import jobs as case_jobs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.sweep import SWEPT, SWEPT_VALUES, clear_unswept, sweep
from urbanops.cases.workflow import CaseAction, CaseStatus, next_status

from ...factories import case_in_status, committed_case
from ..conftest import NOW

LADDER = ["remind", "mark_overdue", "urge", "escalate"]
# as designed (DESIGN §3): the statuses whose stage clock runs, and those where none does
CLOCK_RUNS = {
    "accepted",
    "registered",
    "returned",
    "dispatched",
    "in_progress",
    "reopened",
    "awaiting_verification",
}
NO_CLOCK = {"reported", "parked", "closed", "merged", "void", "referred"}
LONG_AFTER = NOW + timedelta(days=30)


def rows_after(session: Session, case_id: int, after: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.id > after)
            .order_by(CaseEvent.id)
        )
    )


def last_event(session: Session, case_id: int) -> int:
    return session.scalar(select(func.max(CaseEvent.id)).where(CaseEvent.case_id == case_id)) or 0


def test_the_swept_statuses_are_those_whose_clock_runs() -> None:
    assert {str(s) for s in SWEPT} == CLOCK_RUNS
    assert {str(s) for s in CaseStatus} == CLOCK_RUNS | NO_CLOCK


@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_the_sweep_on_a_case_in_each_status(session: Session, status: CaseStatus) -> None:
    case = case_in_status(session, status, now=NOW)
    if case.next_step_at is None:  # no clock here: a stale step left behind must not count
        session.execute(update(Case).where(Case.id == case.id).values(next_step_at=NOW))
        session.refresh(case)
    assert case.next_step_at is not None and case.next_step_at <= LONG_AFTER
    before = last_event(session, case.id)

    sweep(session, LONG_AFTER, batch=10_000)
    session.flush()

    written = rows_after(session, case.id, before)
    assert case.status == status  # the ladder never moves a case
    for row in written:  # every row is one the table allows, taken by the system
        assert row.from_status == row.to_status == str(status)
        assert next_status(CaseStatus(row.from_status), CaseAction(row.action)) is status
        assert row.actor_kind == "system" and row.public is False
    if str(status) in CLOCK_RUNS:
        assert [r.action for r in written] == LADDER
        assert case.escalation_level == 4 and case.overdue and case.next_step_at is None
    else:
        assert written == [] and case.escalation_level == 0 and not case.overdue
        assert str(status) in NO_CLOCK
        assert clear_unswept(session) >= 1 and case.next_step_at is None


@pytest.fixture
def due_cases(committed: sessionmaker[Session]) -> Iterator[list[int]]:
    """Five committed cases, one per status whose clock runs, whose deadlines have passed."""
    statuses = [s for s in CaseStatus if str(s) in CLOCK_RUNS][:5]
    with ExitStack() as stack:
        yield [stack.enter_context(committed_case(committed, s, now=NOW)) for s in statuses]


def test_the_periodic_sweep_works_through_every_batch_and_stops(
    committed: sessionmaker[Session], due_cases: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def counted(session: Session, now: object, batch: int) -> int:
        assert len(seen) < 50, "the sweep job does not stop"
        seen.append(sweep(session, LONG_AFTER, batch))
        return seen[-1]

    monkeypatch.setattr(case_jobs, "BATCH", 2)
    monkeypatch.setattr(case_jobs, "sweep", counted)
    total = case_jobs.sweep_deadlines(int(LONG_AFTER.timestamp()))

    assert len(seen) >= 3 and all(n == 2 for n in seen[:-1]) and seen[-1] < 2, seen
    assert total == sum(seen) >= len(due_cases)
    with committed() as s:
        left = s.scalar(
            select(func.count()).where(
                Case.next_step_at <= LONG_AFTER, Case.status.in_(SWEPT_VALUES)
            )
        )
        assert left == 0  # no due case is left behind, these or any other
        for case_id in due_cases:
            ladder = s.scalars(
                select(CaseEvent.action)
                .where(CaseEvent.case_id == case_id, CaseEvent.action.in_(LADDER))
                .order_by(CaseEvent.id)
            ).all()
            assert list(ladder) == LADDER, case_id
