"""A worker killed in the middle of a job: another worker takes the job back and finishes it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.orm import sessionmaker

from urbanops.areas.models import Unit
from urbanops.cases.models import CaseEvent
from urbanops.core.clock import utcnow
from urbanops.core.jobs import retry_stalled
from urbanops.identity.models import User
from urbanops.identity.roles import Role
from urbanops.notifications.models import Notification
from urbanops.reports.models import ClassifierModel
from urbanops.worker import job_app

from ...factories import HUMEN, discard_case, report_case, staff_member

URBANOPS = Path(sys.executable).with_name("urbanops")
# a worker that beats every second is taken for dead after 3 s; stalled jobs looked for every 2 s
FAST = {
    "URBANOPS_JOBS__HEARTBEAT_SECONDS": "1",
    "URBANOPS_JOBS__POLL_SECONDS": "0.5",
    "URBANOPS_JOBS__STALLED_AFTER_SECONDS": "3",
    "URBANOPS_JOBS__STALLED_CHECK_CRON": "* * * * * */2",
}


def wait_for(what: str, check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.2)


class Workers:
    """`urbanops worker` processes on the test database, stopped at the end whatever happens."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, **FAST}  # URBANOPS_DATABASE_URL: the test database
        log = open(self.log_dir / f"worker{len(self.started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(URBANOPS), "worker", "--concurrency", "2"], env=env, stdout=log, stderr=log
        )
        self.started.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.log_dir.iterdir())

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers() -> Iterator[Workers]:
    with tempfile.TemporaryDirectory(prefix="urbanops-workers-") as tmp:
        w = Workers(Path(tmp))
        try:
            yield w
        finally:
            w.stop_all()


def job_of(conn: Connection, event_id: int) -> tuple[int, str, int, int | None]:
    row = conn.execute(
        text(
            "SELECT id, status, attempts, worker_id FROM procrastinate_jobs"
            " WHERE task_name = 'notifications:notify_case_event'"
            " AND (args->>'event_id')::bigint = :e"
        ),
        {"e": event_id},
    ).one_or_none()
    if row is None:  # still in the outbox: a worker's drainer defers it within a moment
        return 0, "outbox", 0, None
    return int(row[0]), str(row[1]), int(row[2]), row[3]


def test_a_job_whose_worker_is_killed_is_finished_by_another(
    engine: Engine, workers: Workers
) -> None:
    maker = sessionmaker(engine, expire_on_commit=False)
    with engine.connect() as c:
        first_job = c.scalar(text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")) or 0
        first_model = c.scalar(select(ClassifierModel.id).order_by(ClassifierModel.id.desc()))
        active_model = c.scalar(select(ClassifierModel.id).where(ClassifierModel.is_active))
    with maker.begin() as s:  # the handler the dispatch's notification goes to
        humen = s.scalar(select(Unit.id).where(Unit.code == "branch_441900121"))
        handler = staff_member(s, "stalled_humen_handler", [Role.handler], unit_id=humen).id
    with maker.begin() as s:
        case_id = report_case(s, now=utcnow(), where=HUMEN).case.id
        dispatch = s.scalars(
            select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.action == "dispatch")
        ).one()
    # the test holds the case row: the job's notification (which references it) must wait
    holder = engine.connect()
    dead_worker: int | None = None
    try:
        holder.execute(text('SELECT id FROM "case" WHERE id = :c FOR UPDATE'), {"c": case_id})
        first = workers.start()
        with engine.connect() as c:

            def blocked_mid_job() -> bool:
                c.rollback()
                _, status, _, _ = job_of(c, dispatch)
                waiting = c.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query ILIKE 'INSERT INTO notification%'"
                    )
                )
                return status == "doing" and bool(waiting)

            wait_for("the first worker is inside the job", blocked_mid_job, 60)
            dead_worker = job_of(c, dispatch)[3]
            first.kill()  # SIGKILL: no cleanup, no unregistering, the job left `doing`
            first.wait(timeout=10)
            holder.rollback()  # the lock goes; the dead worker's half-done transaction never commits
            c.rollback()
            assert job_of(c, dispatch)[1] == "doing"

            workers.start()

            def finished() -> bool:
                c.rollback()
                return job_of(c, dispatch)[1] == "succeeded"

            try:
                wait_for("the second worker finishes the stalled job", finished, 60)
            except AssertionError as e:
                raise AssertionError(f"{e}\n{workers.logs()}") from e
            _, _, attempts, worker_id = job_of(c, dispatch)
            # two runs: the one killed (counted when taken back) and the one that finished
            assert attempts == 2, workers.logs()
            assert worker_id != dead_worker  # and run by the living worker
        with maker() as s:
            told = s.execute(
                select(
                    Notification.recipient_kind, Notification.recipient_id, Notification.channel
                ).where(Notification.event_id == dispatch)
            ).all()
        # this handler once, not twice (other tests' committed accounts of the unit aside)
        assert [tuple(t) for t in told if t[1] == handler] == [("user", handler, "in_app")]
    finally:
        holder.close()
        workers.stop_all()
        with maker.begin() as s:
            s.execute(text("DELETE FROM procrastinate_jobs WHERE id > :j"), {"j": first_job})
            if dead_worker is not None:
                s.execute(
                    text("DELETE FROM procrastinate_workers WHERE id = :w"), {"w": dead_worker}
                )
            discard_case(s, case_id, now=utcnow())  # its rows stay: the timeline is append-only
            s.execute(delete(User).where(User.id == handler))
            # a worker started at 03:30 Beijing time would have retrained the classifier
            if first_model is not None:
                s.execute(delete(ClassifierModel).where(ClassifierModel.id > first_model))
                s.execute(
                    update(ClassifierModel).values(
                        is_active=ClassifierModel.id == (active_model or first_model)
                    )
                )


def test_a_job_that_keeps_stalling_is_failed_not_retried_for_ever(engine: Engine) -> None:
    """Jobs left `doing` by no living worker: retried, unless they stalled too often already."""
    maker = sessionmaker(engine)
    with maker.begin() as s:
        ids = [
            int(
                s.execute(
                    text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status,"
                        " attempts) VALUES ('stalled_test', 'jobs:nothing', '{}', 'doing', :a)"
                        " RETURNING id"
                    ),
                    {"a": attempts},
                ).scalar_one()
            )
            for attempts in (0, 4)
        ]
    app = job_app()
    result: list[int] = []

    async def check() -> None:
        async with app.open_async():
            result.append(await retry_stalled(app.job_manager, stalled_after=3, max_attempts=5))

    try:
        runner = threading.Thread(target=lambda: asyncio.run(check()))
        runner.start()
        runner.join(timeout=30)
        with maker() as s:
            states = s.execute(
                text(
                    "SELECT status, attempts FROM procrastinate_jobs WHERE id = ANY(:i) ORDER BY id"
                ),
                {"i": ids},
            ).all()
        assert [(str(st), a) for st, a in states] == [("todo", 1), ("failed", 5)]
        assert result and result[0] >= 1
    finally:
        with maker.begin() as s:
            s.execute(text("DELETE FROM procrastinate_jobs WHERE id = ANY(:i)"), {"i": ids})
