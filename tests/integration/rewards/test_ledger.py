"""The points ledger: idempotent postings, buckets that never go below zero, append-only rows,
and balances that always equal the sum of the entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests import factories
from urbanops.rewards import ledger
from urbanops.rewards.models import PointsEntry

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _earn(session: Session, citizen_id: int, case_id: int, points: int = 20) -> object:
    return ledger.post(
        session,
        citizen_id=citizen_id,
        kind="earn",
        key=f"earn:case:{case_id}",
        now=NOW,
        reason="有效上报",
        ref_type="case",
        ref_id=case_id,
        pending=points,
    )


def test_a_posting_moves_its_bucket_and_a_repeated_key_writes_nothing(session: Session) -> None:
    person = factories.citizen(session, "13800001601", now=NOW)
    assert _earn(session, person.id, 1) is not None
    assert _earn(session, person.id, 1) is None
    assert ledger.balance_of(session, person.id) == ledger.Balance(pending=20, available=0)
    ledger.post(
        session,
        citizen_id=person.id,
        kind="release",
        key="release:case:1",
        now=NOW,
        reason="案件核查通过",
        ref_type="case",
        ref_id=1,
        pending=-20,
        available=20,
    )
    assert ledger.balance_of(session, person.id) == ledger.Balance(pending=0, available=20)
    assert [e.kind for e in ledger.entries_for(session, "case", 1)] == ["earn", "release"]
    assert ledger.inconsistent_citizens(session, [person.id]) == []


def test_spending_more_than_is_available_is_refused_before_anything_is_written(
    session: Session,
) -> None:
    person = factories.citizen(session, "13800001602", now=NOW)
    _earn(session, person.id, 2)  # pending points cannot be spent
    with pytest.raises(ledger.InsufficientPoints) as refused:
        ledger.post(
            session,
            citizen_id=person.id,
            kind="spend",
            key="spend:redemption:1",
            now=NOW,
            reason="兑换",
            ref_type="redemption",
            ref_id=1,
            available=-10,
        )
    assert refused.value.code == "insufficient_points"
    assert ledger.entry_for(session, "spend:redemption:1") is None
    assert ledger.balance_of(session, person.id) == ledger.Balance(pending=20, available=0)


def test_entries_are_never_rewritten_and_balances_never_negative(session: Session) -> None:
    person = factories.citizen(session, "13800001603", now=NOW)
    _earn(session, person.id, 3)
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(
            update(PointsEntry).where(PointsEntry.citizen_id == person.id).values(pending_delta=999)
        )
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("DELETE FROM points_entry WHERE citizen_id = :c"), {"c": person.id})
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(
            text("UPDATE points_balance SET available = -1 WHERE citizen_id = :c"), {"c": person.id}
        )


def test_a_balance_that_differs_from_its_entries_is_found(session: Session) -> None:
    person = factories.citizen(session, "13800001604", now=NOW)
    _earn(session, person.id, 4)
    assert ledger.inconsistent_citizens(session, [person.id]) == []
    session.execute(
        text("UPDATE points_balance SET pending = pending + 1 WHERE citizen_id = :c"),
        {"c": person.id},
    )
    assert ledger.inconsistent_citizens(session, [person.id]) == [person.id]
