"""Racing redemptions never oversell: 40 citizens redeem one prize of stock 5 at once over
HTTP against a real server (uvicorn on a port, the app's own sessions, committed), and the
`urbanops bench redeem` race at a small size prints its line with exactly S winners.

Both commit to the test database; the ledger is append-only, so their citizens, entries and
prizes stay (each run makes new ones and counts only its own).
"""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from bench import redeem as bench_redeem
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.app import create_app
from urbanops.identity import citizens
from urbanops.identity.models import CitizenSession
from urbanops.rewards import ledger
from urbanops.rewards.prize_models import Prize, Redemption

STOCK, RACERS = 5, 40
PRICE = bench_redeem.PRICE
LAST_LINE = re.compile(
    r"^redeem: attempts=(\d+) succeeded=(\d+) oversold=(\d+) ledger_consistent=(true|false)$"
)


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_forty_racers_over_http_win_exactly_the_stock(
    server: str, committed: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    run = secrets.token_hex(4)
    with committed() as session:
        prize_id, ids = bench_redeem.stock_and_racers(
            session, stock=STOCK, racers=RACERS, now=now, label="竞速"
        )
        tokens = []
        for citizen_id in ids:
            raw = secrets.token_urlsafe(32)
            session.add(
                CitizenSession(
                    token_hash=citizens.keyed_digest("session", raw),
                    citizen_id=citizen_id,
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
            tokens.append(raw)
        session.commit()

    barrier = threading.Barrier(RACERS)
    statuses: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    lock = threading.Lock()

    def racer(raw: str) -> None:
        with httpx.Client(base_url=server, timeout=60) as http:
            barrier.wait()
            r = http.post(
                f"/api/v1/citizen/prizes/{prize_id}/redeem",
                headers={"X-Citizen-Token": raw, "Idempotency-Key": f"race-{run}"},
            )
        with lock:
            statuses[r.status_code] += 1
            if r.status_code != 201:
                codes[r.json().get("code", "?")] += 1

    threads = [threading.Thread(target=racer, args=(raw,)) for raw in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == Counter({201: STOCK, 409: RACERS - STOCK}), (statuses, codes)
    assert codes == Counter({"out_of_stock": RACERS - STOCK})
    with committed() as session:
        left = session.get(Prize, prize_id)
        assert left is not None and left.stock == 0
        won = session.scalar(select(func.count()).where(Redemption.prize_id == prize_id))
        assert won == STOCK
        assert ledger.inconsistent_citizens(session, ids) == []
        spent = sum(PRICE - ledger.balance_of(session, cid).available for cid in ids)
        assert spent == STOCK * PRICE


def test_the_bench_race_at_a_small_size(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    bench_redeem.run(stock=5, concurrency=30, progress=print)
    lines = capsys.readouterr().out.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match is not None, lines
    assert match.groups() == ("30", "5", "0", "true"), lines
    assert "out_of_stock=25" in lines[-2] and "redeemed=5" in lines[-2], lines[-2]
    prize_id = int(re.search(r"prize #(\d+)", lines[-2]).group(1))  # type: ignore[union-attr]
    with Session(engine) as session:
        raced = session.get(Prize, prize_id)
        assert raced is not None and raced.active is False
