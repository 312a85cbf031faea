"""Two submits with the same idempotency key at the same moment, on two real connections that
commit: one case and one report, and both answers name it (the second one "replayed").

Both threads are held until each has looked for an earlier answer to the key and found none,
so they really race: the first insert wins, the second waits on the key's unique index, fails
when the first commits, and answers with the winner's case.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.core.clock import utcnow
from urbanops.reports import service as intake
from urbanops.reports.models import Report
from urbanops.reports.service import IntakeResult

from ...factories import committed_case, discard_case, report_case

Answer = tuple[str, int, int]  # outcome, case id, report id


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh key; each thread's first look for an earlier answer waits for the other's."""
    both_looked = threading.Barrier(2, timeout=60)
    looked = threading.local()
    original = intake._replay

    def replay(session: Session, key: str) -> IntakeResult | None:
        found = original(session, key)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait()
        return found

    monkeypatch.setattr(intake, "_replay", replay)
    return f"race-{uuid.uuid4().hex[:16]}"


def race(
    committed: sessionmaker[Session], submit: Callable[[Session], IntakeResult]
) -> list[Answer]:
    """`submit` on two threads at once, each in its own committed transaction."""
    answers: list[Answer] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            with committed.begin() as s:
                r = submit(s)
                answer = (r.outcome, r.case.id, r.report.id)
            with lock:
                answers.append(answer)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(answers) == 2, answers
    return answers


def reports_with(s: Session, key: str) -> list[Report]:
    return list(s.scalars(select(Report).where(Report.idempotency_key.like(f"%:{key}"))))


@pytest.fixture
def cleanup(committed: sessionmaker[Session], key: str) -> Iterator[None]:
    """Afterwards, whatever the outcome: discard the cases the key's reports opened or joined
    (their timelines and reports stay)."""
    yield
    with committed.begin() as s:
        opened = select(Case.id).where(Case.description == marker(key))
        ids = set(s.scalars(opened)) | {r.case_id for r in reports_with(s, key)}
        discard_case(s, *sorted(ids), now=utcnow())


def marker(key: str) -> str:
    return f"并发上报 {key}"


@pytest.mark.usefixtures("cleanup")
def test_a_new_case_raced_for_by_two_submits_is_made_once(
    committed: sessionmaker[Session], key: str
) -> None:
    now = utcnow()

    def submit(s: Session) -> IntakeResult:
        return report_case(s, now=now, description=marker(key), idempotency_key=key)

    answers = race(committed, submit)
    with committed() as s:
        cases = list(s.scalars(select(Case.id).where(Case.description == marker(key))))
        reports = reports_with(s, key)
    assert sorted(a[0] for a in answers) == ["dispatched", "replayed"], answers
    assert len(cases) == 1 and len(reports) == 1
    assert {(a[1], a[2]) for a in answers} == {(cases[0], reports[0].id)}
    assert reports[0].case_id == cases[0]


@pytest.mark.usefixtures("cleanup")
def test_a_join_raced_for_by_two_submits_is_counted_once(
    committed: sessionmaker[Session], key: str
) -> None:
    now = utcnow()
    with committed_case(committed, CaseStatus.dispatched, now=now) as case_id:

        def submit(s: Session) -> IntakeResult:
            return report_case(s, now=now, idempotency_key=key, check_duplicates=True)

        answers = race(committed, submit)
        with committed() as s:
            reports = reports_with(s, key)
            case = s.get(Case, case_id)
            supports = s.scalar(
                select(func.count()).where(
                    CaseEvent.case_id == case_id, CaseEvent.action == "support"
                )
            )
        assert sorted(a[0] for a in answers) == ["joined", "replayed"], answers
        assert len(reports) == 1 and reports[0].case_id == case_id and reports[0].is_supporter
        assert {(a[1], a[2]) for a in answers} == {(case_id, reports[0].id)}
        assert case is not None and case.supporters == 1 and supports == 1
