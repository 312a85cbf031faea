"""The job outbox: no job lost, none for a rolled-back change, and a drainer killed mid-batch
defers nothing (its rows stay until their jobs commit)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.core import outbox
from urbanops.core.jobs import conninfo
from urbanops.notifications.delivery import SEND_TASK, queue_sms
from urbanops.worker import job_app

from ..conftest import NOW

QUEUE = "outbox_test"  # no worker of the tests runs this queue: the jobs stay as deferred
TASK = "tests:outbox_probe"


def in_thread(make: Callable[[], Any]) -> Any:
    """Run a coroutine to completion on a thread of its own (an event loop may already run on
    this one: Playwright's, in a full run)."""
    out: list[Any] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(make())))
    runner.start()
    runner.join(timeout=120)
    assert out, "the coroutine did not finish"
    return out[0]


def drain() -> int:
    app = job_app()

    async def run() -> int:
        async with app.open_async():
            moved: int = await outbox.drain_all(app, conninfo(), batch=3)
        return moved

    return int(in_thread(run))


def rows(s: Session, probe: str) -> list[tuple[str, dict[str, Any], str]]:
    found = s.execute(
        text("SELECT task, args, queue FROM job_outbox WHERE args->>'probe' = :p ORDER BY id"),
        {"p": probe},
    ).all()
    return [(r[0], r[1], r[2]) for r in found]


def jobs(s: Session, probe: str) -> list[tuple[str, dict[str, Any], str, str]]:
    found = s.execute(
        text(
            "SELECT task_name, args, queue_name, status FROM procrastinate_jobs"
            " WHERE args->>'probe' = :p ORDER BY id"
        ),
        {"p": probe},
    ).all()
    return [(r[0], r[1], r[2], str(r[3])) for r in found]


@pytest.fixture
def probe(committed: sessionmaker[Session]) -> Iterator[str]:
    """A value marking this test's rows and jobs, deleted afterwards."""
    value = uuid.uuid4().hex
    yield value
    with committed.begin() as s:
        s.execute(text("DELETE FROM job_outbox WHERE args->>'probe' = :p"), {"p": value})
        s.execute(text("DELETE FROM procrastinate_jobs WHERE args->>'probe' = :p"), {"p": value})


def test_rows_commit_with_the_change_and_become_one_job_each(
    committed: sessionmaker[Session], probe: str
) -> None:
    with committed() as s:  # a change that fails after writing its follow-up: rolled back
        outbox.add(s, TASK, queue=QUEUE, probe=probe, n=0)
        s.rollback()
    with committed.begin() as s:
        for n in range(1, 8):
            outbox.add(s, TASK, queue=QUEUE, probe=probe, n=n)
    with committed() as s:
        assert [r[1]["n"] for r in rows(s, probe)] == list(range(1, 8))
        assert jobs(s, probe) == []  # the change's transaction inserted no job (no NOTIFY)

    assert drain() >= 7  # in batches of 3
    with committed() as s:
        assert rows(s, probe) == []
        deferred = jobs(s, probe)
    assert [(j[0], j[1]["n"], j[2], j[3]) for j in deferred] == [
        (TASK, n, QUEUE, "todo") for n in range(1, 8)
    ]
    drain()  # a second pass defers nothing again
    with committed() as s:
        assert len(jobs(s, probe)) == 7


def test_a_new_row_gets_its_job_in_the_flush_that_gives_it_an_id(session: Session) -> None:
    sms = queue_sms(session, phone="13912340099", text="测试", purpose="case", now=NOW)
    assert sms.id is None
    session.flush()
    found = session.execute(
        text("SELECT task, args, queue FROM job_outbox WHERE args->>'sms_id' = :i"),
        {"i": str(sms.id)},
    ).all()
    assert [(r[0], r[1], r[2]) for r in found] == [(SEND_TASK, {"sms_id": sms.id}, "default")]


def test_a_hand_written_statement_writes_its_rows_with_insert_sql(
    session: Session, probe: str
) -> None:
    ids = "SELECT n AS id FROM generate_series(1, 3) AS n"
    statement = outbox.insert_sql(TASK, "n", ids, queue=QUEUE)
    session.execute(text(f"WITH jobs AS ({statement} RETURNING id) SELECT count(*) FROM jobs"))
    found = session.execute(
        text("SELECT task, args, queue FROM job_outbox WHERE queue = :q ORDER BY id"),
        {"q": QUEUE},
    ).all()
    assert [(r[0], r[1], r[2]) for r in found][-3:] == [(TASK, {"n": n}, QUEUE) for n in (1, 2, 3)]


KILLED_DRAINER = """
import asyncio, psycopg
from urbanops.core import outbox
from urbanops.core.jobs import conninfo
from urbanops.worker import job_app

app = job_app()
defer = app.job_manager.batch_defer_jobs_async

async def defer_then_hang(jobs, connection=None):
    out = await defer(jobs, connection=connection)
    print("deferred", len(out), flush=True)
    await asyncio.sleep(3600)  # killed here: after the jobs' INSERT, before the COMMIT

app.job_manager.batch_defer_jobs_async = defer_then_hang

async def main():
    async with app.open_async():
        async with await psycopg.AsyncConnection.connect(conninfo()) as conn:
            await outbox.drain_once(app, conn, 500)

asyncio.run(main())
"""


def test_a_drainer_killed_mid_batch_leaves_its_rows_and_defers_nothing(
    committed: sessionmaker[Session], probe: str
) -> None:
    with committed.begin() as s:
        for n in range(5):
            outbox.add(s, TASK, queue=QUEUE, probe=probe, n=n)
    name = f"killed-drainer-{probe[:8]}"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_DRAINER],
        env={**os.environ, "PGAPPNAME": name},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("deferred"), line
        # mid-batch: its jobs are written but not committed, its rows are locked, not gone
        with committed() as s:
            assert len(rows(s, probe)) == 5 and jobs(s, probe) == []
        drain()  # another drainer skips the locked rows (SKIP LOCKED) instead of waiting
        with committed() as s:
            assert jobs(s, probe) == []
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    _wait_gone(name)

    with committed() as s:  # the killed batch rolled back: rows in place, no job
        assert len(rows(s, probe)) == 5 and jobs(s, probe) == []
    drain()
    with committed() as s:  # the next drainer defers each row exactly once
        assert rows(s, probe) == []
        assert sorted(j[1]["n"] for j in jobs(s, probe)) == [0, 1, 2, 3, 4]


def _wait_gone(application_name: str) -> None:
    """Until PostgreSQL has ended the killed client's session (it rolls back its transaction)."""
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        for _ in range(600):
            left = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                (application_name,),
            ).fetchone()
            if left is not None and left[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the killed drainer's session did not end")


def test_the_drainer_goes_on_after_a_failed_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    async def flaky(app: Any, conn: Any, batch: int) -> int:
        calls.append(batch)
        if len(calls) == 1:
            raise RuntimeError("a batch failed")  # e.g. procrastinate's connector error
        raise asyncio.CancelledError  # the second batch: stop the test here

    monkeypatch.setattr(outbox, "drain_once", flaky)

    async def run() -> str:
        try:
            await outbox.drain_forever(
                job_app(), conninfo, poll_seconds=0.01, batch=9, retry_seconds=0
            )
        except asyncio.CancelledError:
            return "cancelled"
        return "returned"

    assert in_thread(run) == "cancelled"
    assert calls == [9, 9]  # it reconnected and drained again after the failure
