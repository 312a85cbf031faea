"""The points ledger: the only writer of points entries and balances.

`post` appends one entry and moves the citizen's cached balance in the same transaction. It locks
the citizen's balance row first (`SELECT … FOR UPDATE`), so postings for one citizen run one after
another: the idempotency check and the "never below zero" check see every earlier posting. A
caller that also locks other rows (a prize's stock) locks them before calling `post`: stock, then
citizen, always in that order, so two transactions never wait for each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.core.errors import Conflict
from urbanops.rewards.models import PointsBalance, PointsEntry


class InsufficientPoints(Conflict):
    default_code = "insufficient_points"


@dataclass(frozen=True)
class Balance:
    pending: int
    available: int


def _locked_balance(session: Session, citizen_id: int, now: datetime) -> PointsBalance:
    session.execute(
        insert(PointsBalance)
        .values(citizen_id=citizen_id, pending=0, available=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["citizen_id"])
    )
    return session.execute(
        select(PointsBalance)
        .where(PointsBalance.citizen_id == citizen_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def locked_balance(session: Session, citizen_id: int, now: datetime) -> Balance:
    """The citizen's balance with their row locked until the transaction ends (a caller that
    posts an amount computed from the balance: a reset expiring what is available)."""
    row = _locked_balance(session, citizen_id, now)
    return Balance(row.pending, row.available)


def post(
    session: Session,
    *,
    citizen_id: int,
    kind: str,
    key: str,
    now: datetime,
    reason: str,
    ref_type: str,
    ref_id: str | int,
    pending: int = 0,
    available: int = 0,
    user_id: int | None = None,
) -> PointsEntry | None:
    """Append an entry moving `pending` and `available` points; None (and nothing written) when
    an entry with `key` exists. Raises `InsufficientPoints` before writing anything when a bucket
    would go below zero."""
    if pending == 0 and available == 0:
        raise ValueError("an entry must move points")
    balance = _locked_balance(session, citizen_id, now)
    if session.scalar(select(PointsEntry.id).where(PointsEntry.key == key)) is not None:
        return None
    if balance.pending + pending < 0 or balance.available + available < 0:
        raise InsufficientPoints(
            f"积分不足：可用 {balance.available} 分",
            message_en=f"not enough points: {balance.available} available",
            extra={"available": balance.available, "pending": balance.pending},
        )
    entry = PointsEntry(
        citizen_id=citizen_id,
        at=now,
        kind=kind,
        pending_delta=pending,
        available_delta=available,
        reason=reason,
        ref_type=ref_type,
        ref_id=str(ref_id),
        key=key,
        user_id=user_id,
    )
    session.add(entry)
    balance.pending += pending
    balance.available += available
    balance.updated_at = now
    session.flush()
    return entry


def lock_citizen(session: Session, citizen_id: int, now: datetime) -> None:
    """Take the lock every posting for the citizen takes (their balance row), for a change
    that must not interleave with their postings (the boards' listing)."""
    _locked_balance(session, citizen_id, now)


def balance_of(session: Session, citizen_id: int) -> Balance:
    row = session.get(PointsBalance, citizen_id)
    return Balance(0, 0) if row is None else Balance(row.pending, row.available)


def entry_for(session: Session, key: str) -> PointsEntry | None:
    return session.scalar(select(PointsEntry).where(PointsEntry.key == key))


def inconsistent_citizens(session: Session, citizen_ids: list[int] | None = None) -> list[int]:
    """Citizens whose cached balance differs from the sum of their entries (empty: consistent),
    or who have a negative sum; all citizens, or only `citizen_ids`."""
    sums = (
        select(
            PointsEntry.citizen_id,
            func.sum(PointsEntry.pending_delta).label("pending"),
            func.sum(PointsEntry.available_delta).label("available"),
        )
        .group_by(PointsEntry.citizen_id)
        .subquery()
    )
    b = PointsBalance
    pending = func.coalesce(sums.c.pending, 0)
    available = func.coalesce(sums.c.available, 0)
    query = select(func.coalesce(b.citizen_id, sums.c.citizen_id)).select_from(
        b.__table__.join(sums, sums.c.citizen_id == b.citizen_id, full=True)
    )
    query = query.where(
        (func.coalesce(b.pending, 0) != pending)
        | (func.coalesce(b.available, 0) != available)
        | (pending < 0)
        | (available < 0)
    )
    if citizen_ids is not None:
        query = query.where(func.coalesce(b.citizen_id, sums.c.citizen_id).in_(citizen_ids))
    return sorted(session.scalars(query))


# the entries of a reference, oldest first (what a case earned, what a redemption spent)
def entries_for(session: Session, ref_type: str, ref_id: str | int) -> list[PointsEntry]:
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.ref_type == ref_type, PointsEntry.ref_id == str(ref_id))
            .order_by(PointsEntry.id)
        )
    )


__all__ = [
    "Balance",
    "InsufficientPoints",
    "balance_of",
    "entries_for",
    "entry_for",
    "inconsistent_citizens",
    "lock_citizen",
    "locked_balance",
    "post",
]
