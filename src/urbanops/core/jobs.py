"""The job queue (procrastinate; jobs live in PostgreSQL).

Domains declare their jobs on a `Blueprint` in their own `jobs.py`; `job_app()` assembles them.
`enqueue_for()` (and `defer_each_sql()` in hand-written statements) insert jobs through the
caller's transaction, so they commit or roll back together with the change they follow.

Workers record a heartbeat (`procrastinate_workers`); every minute `jobs:retry_stalled_jobs`
gives the jobs of a worker that stopped beating (killed, machine lost) to the living ones, so
every job must be safe to run twice. Cron lines are read in UTC: `daily_at` writes one for a
time of day in the platform's timezone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from procrastinate import App, Blueprint, JobContext, PsycopgConnector
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from urbanops.core import outbox
from urbanops.core.db import database_url
from urbanops.core.settings import get_settings

log = logging.getLogger(__name__)

_app: App | None = None
_lock = threading.Lock()

_PENDING = "urbanops_pending_jobs"


def enqueue_for(
    session: Session, task_name: str, obj: Any, arg: str, queue: str = "default"
) -> None:
    """Enqueue `task_name(arg=obj.id)` in the flush that gives `obj` its id (same transaction)."""
    session.info.setdefault(_PENDING, []).append((task_name, obj, arg, queue))


@event.listens_for(Session, "after_flush")
def _defer_pending(session: Session, _ctx: Any) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    ready = [p for p in pending if getattr(p[1], "id", None) is not None]
    session.info[_PENDING] = [p for p in pending if getattr(p[1], "id", None) is None]
    if not ready:
        return
    params: dict[str, Any] = {}
    rows = []
    for i, (task, obj, arg, queue) in enumerate(ready):
        rows.append(
            f"ROW(:q{i}, :t{i}, 0, NULL, NULL, CAST(:a{i} AS jsonb), NULL)::procrastinate_job_to_defer_v1"
        )
        params |= {f"q{i}": queue, f"t{i}": task, f"a{i}": json.dumps({arg: obj.id})}
    sql = f"SELECT procrastinate_defer_jobs_v1(ARRAY[{', '.join(rows)}])"
    session.connection().execute(text(sql), params)


def defer_each_sql(task_name: str, arg: str, ids: str, queue: str = "default") -> str:
    """A SQL expression that enqueues `task_name(arg=id)` for each `id` the query `ids` returns,
    for a statement that writes rows and their jobs at once (same transaction, one round trip)."""
    job = (
        f"ROW({_sql_text(queue)}, {_sql_text(task_name)}, 0, NULL, NULL,"
        f" jsonb_build_object({_sql_text(arg)}, job.id), NULL)::procrastinate_job_to_defer_v1"
    )
    return f"procrastinate_defer_jobs_v1(ARRAY(SELECT {job} FROM ({ids}) AS job))"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def daily_at(local: time, zone: str | None = None) -> str:
    """A cron line (read in UTC by procrastinate) for every day at `local` wall-clock time in
    `zone` (the platform's timezone by default): 03:30 in Asia/Shanghai is `30 19 * * *`.
    Zones with daylight saving have no such fixed line and are refused."""
    tz = ZoneInfo(zone or get_settings().timezone)
    offsets = {datetime(2026, month, 1, 12, tzinfo=tz).utcoffset() for month in (1, 4, 7, 10)}
    if len(offsets) != 1:
        raise ValueError(f"{tz.key} changes its UTC offset during the year; give the cron in UTC")
    offset = offsets.pop() or timedelta(0)
    at = datetime.combine(date(2026, 1, 1), local) - offset
    return f"{at.minute} {at.hour} * * *"


async def retry_stalled(manager: JobManager, *, stalled_after: float, max_attempts: int) -> int:
    """Give the jobs of workers silent for `stalled_after` seconds back to the queue (or fail
    those that have stalled `max_attempts` times); returns how many were retried."""
    retried = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            if job.attempts + 1 >= max_attempts:
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                log.error(
                    "job %s[%d] stalled %d times: failed", job.task_name, job.id, max_attempts
                )
                continue
            await manager.retry_job(job)
        except Exception:  # finished (or taken back by another worker) since it was listed
            log.info("stalled job %s[%d] changed meanwhile", job.task_name, job.id)
            continue
        log.warning("job %s[%d] was stalled (its worker died): retried", job.task_name, job.id)
        retried += 1
    return retried


def _jobs_blueprint() -> Blueprint:
    cfg = get_settings().jobs
    blueprint = Blueprint()

    @blueprint.periodic(cron=cfg.stalled_check_cron)
    @blueprint.task(
        name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True
    )
    async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
        return await retry_stalled(
            context.app.job_manager,
            stalled_after=cfg.stalled_after_seconds,
            max_attempts=cfg.stalled_max_attempts,
        )

    return blueprint


def worker_options() -> dict[str, Any]:
    """The worker's heartbeat and polling, from settings (`URBANOPS_JOBS__*`)."""
    cfg = get_settings().jobs
    return {
        "update_heartbeat_interval": cfg.heartbeat_seconds,
        "fetch_job_polling_interval": cfg.poll_seconds,
        # a worker starting up forgets workers silent this long (their jobs become stalled)
        "stalled_worker_timeout": cfg.stalled_after_seconds,
    }


def conninfo() -> str:
    return database_url().replace("postgresql+psycopg://", "postgresql://", 1)


def job_app() -> App:
    global _app
    with _lock:
        if _app is None:
            from urbanops.cases.jobs import blueprint as cases_jobs
            from urbanops.notifications.jobs import blueprint as notification_jobs
            from urbanops.reports.jobs import blueprint as report_jobs

            # a small pool (see `core.db.JOB_CONNECTIONS`): jobs' own work uses the engine's
            pool_kwargs = {"prepare_threshold": None} if get_settings().db_pgbouncer else {}
            connector = PsycopgConnector(
                conninfo=conninfo(), min_size=1, max_size=3, kwargs=pool_kwargs
            )
            app = App(connector=connector)
            app.add_tasks_from(cases_jobs, namespace="cases")
            app.add_tasks_from(notification_jobs, namespace="notifications")
            app.add_tasks_from(report_jobs, namespace="reports")
            app.add_tasks_from(_jobs_blueprint(), namespace="jobs")
            _app = app
        return _app


async def work(app: App, *, concurrency: int, install_signal_handlers: bool = True) -> None:
    """Run a procrastinate worker with this process's outbox drainer until the worker stops."""
    cfg = get_settings().jobs
    drainer = asyncio.create_task(
        outbox.drain_forever(
            app, conninfo, poll_seconds=cfg.outbox_poll_seconds, batch=cfg.outbox_batch
        ),
        name="urbanops-outbox",
    )
    try:
        await app.run_worker_async(
            concurrency=concurrency,
            install_signal_handlers=install_signal_handlers,
            **worker_options(),
        )
    finally:
        drainer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drainer


def run_worker(concurrency: int = 4) -> None:
    """Run a worker in the foreground until interrupted (`urbanops worker`)."""
    app = job_app()

    async def main() -> None:
        async with app.open_async():
            await work(app, concurrency=concurrency)

    asyncio.run(main())


class BackgroundWorker:
    """A worker on its own thread and event loop, for `urbanops serve` in embedded mode."""

    def __init__(self, concurrency: int = 2) -> None:
        self.concurrency = concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="urbanops-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = job_app()

        async def main() -> None:
            async with app.open_async():
                await work(app, concurrency=self.concurrency, install_signal_handlers=False)

        self._task = loop.create_task(main())
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("embedded worker stopped")
        finally:
            loop.close()

    def stop(self) -> None:
        if self._loop and self._task and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread:
            self._thread.join(timeout=10)
