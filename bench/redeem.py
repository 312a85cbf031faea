"""Redemption race: C citizens redeem one prize of stock S at the same moment.

1. In the configured database (the embedded one of `urbanops demo`/`serve` unless
   `URBANOPS_DATABASE_URL` is set), makes a prize of stock S (price 100 points, no per-person
   limit) and C citizens, each granted exactly the price in available points (an `adjust` entry).
2. Starts C threads; each opens its own connection (its own engine without a pool) and waits at
   a barrier, then all call `redeem_reward` at once, each in its own transaction, and commit.
   PostgreSQL allows only so many connections (`max_connections`, 100 by default): when C is
   more than the free slots (less a margin for the server's own clients), racers beyond them
   wait for a slot, so the race runs with that many transactions at once (the line before the
   last says how many).
3. Measures from the rows, not from what the threads say: K = the prize's redemptions,
   oversold = max(0, K − S), ledger_consistent = no racer's balance differs from the sum of
   their entries (`ledger.inconsistent_citizens`), every winner spent the price and every loser
   nothing, and stock_before − K == stock_after. The prize is then made inactive, so a race run
   against a demo or live database does not stay in the citizens' catalogue.

The last line is `redeem: attempts=C succeeded=K oversold=O ledger_consistent=true|false`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from urbanops.core.db import database_url, get_engine, unit_of_work
from urbanops.core.errors import DomainError
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.rewards import ledger
from urbanops.rewards.prize_models import Prize, Redemption
from urbanops.rewards.redemption import redeem_reward

PRICE = 100
MARGIN = 10  # connections left for the server's other clients


def stock_and_racers(
    session: Session, *, stock: int, racers: int, now: datetime, label: str
) -> tuple[int, list[int]]:
    """A prize of `stock` at PRICE points and `racers` new citizens holding exactly PRICE
    available points each (an `adjust` entry); flushed, not committed. The HTTP race test
    makes its racers here too."""
    run = secrets.token_hex(4)
    prize = Prize(
        name=f"{label} {run}",
        description="redemption race",
        kind="gift",
        price_points=PRICE,
        stock=stock,
        per_person_limit=None,
        active=True,
        low_stock_threshold=0,
        created_at=now,
        updated_at=now,
    )
    session.add(prize)
    people = [
        Citizen(phone=f"19{secrets.randbelow(10**9):09d}", nickname=label, created_at=now)
        for _ in range(racers)
    ]
    session.add_all(people)
    session.flush()
    for person in people:
        ledger.post(
            session,
            citizen_id=person.id,
            kind="adjust",
            key=f"race:{run}:{person.id}",
            now=now,
            reason="竞速积分",
            ref_type="adjustment",
            ref_id=f"race-{run}",
            available=PRICE,
        )
    return prize.id, [p.id for p in people]


def _free_connections() -> int:
    with get_engine().connect() as conn:
        limit = int(conn.scalar(text("SHOW max_connections")) or 100)
        reserved = int(conn.scalar(text("SHOW superuser_reserved_connections")) or 3)
        used = int(conn.scalar(text("SELECT count(*) FROM pg_stat_activity")) or 0)
    return max(1, limit - reserved - used - MARGIN)


def race(*, stock: int, concurrency: int, progress: Callable[[str], None]) -> dict[str, int | bool]:
    """Run the race; the measured outcome."""
    now = datetime.now(UTC)
    with unit_of_work() as session:
        prize_id, racers = stock_and_racers(
            session, stock=stock, racers=concurrency, now=now, label="压测奖品"
        )
    at_once = min(concurrency, _free_connections())
    engine = create_engine(database_url(), poolclass=NullPool)
    slots = threading.Semaphore(at_once)
    barrier = threading.Barrier(concurrency)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def racer(citizen_id: int) -> None:
        barrier.wait()
        with slots:
            try:
                with Session(engine, expire_on_commit=False) as session:
                    person = session.get(Citizen, citizen_id)
                    assert person is not None
                    redeem_reward(
                        session,
                        actor=citizen_actor(person),
                        now=datetime.now(UTC),
                        prize_id=prize_id,
                        idempotency_key=f"race-{citizen_id}",
                    )
                    session.commit()
                outcome = "redeemed"
            except DomainError as refused:
                outcome = refused.code
            except Exception as exc:  # counted and shown, never hidden
                outcome = f"error:{type(exc).__name__}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=racer, args=(cid,)) for cid in racers]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - start
    engine.dispose()
    with unit_of_work() as session:
        prize = session.get(Prize, prize_id)
        assert prize is not None
        won = int(
            session.scalar(
                select(func.count()).where(
                    Redemption.prize_id == prize_id, Redemption.status != "cancelled"
                )
            )
            or 0
        )
        winners = set(
            session.scalars(select(Redemption.citizen_id).where(Redemption.prize_id == prize_id))
        )
        balances_right = all(
            ledger.balance_of(session, cid).available == (0 if cid in winners else PRICE)
            for cid in racers
        )
        consistent = (
            not ledger.inconsistent_citizens(session, racers)
            and balances_right
            and stock - won == prize.stock
        )
        stock_after = prize.stock
        prize.active = False  # measured: off the citizens' catalogue of the database it ran in
    progress(
        f"prize #{prize_id}: stock {stock} → {stock_after}; {concurrency} racers, "
        f"{at_once} transactions at once, {took:.2f} s; outcomes: "
        + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items()))
    )
    return {
        "attempts": concurrency,
        "succeeded": won,
        "oversold": max(0, won - stock),
        "ledger_consistent": consistent,
    }


def run(*, stock: int, concurrency: int, progress: Callable[[str], None]) -> None:
    result = race(stock=stock, concurrency=concurrency, progress=progress)
    print(
        f"redeem: attempts={result['attempts']} succeeded={result['succeeded']}"
        f" oversold={result['oversold']}"
        f" ledger_consistent={'true' if result['ledger_consistent'] else 'false'}"
    )
