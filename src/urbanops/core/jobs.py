"""The job queue (procrastinate; jobs live in PostgreSQL).

Domains declare their jobs on a `Blueprint` in their own `jobs.py`; `urbanops.worker.job_app()`
assembles them (`make_job_app`), and runs workers (`work`, here: a worker with its outbox drainer).
A change writes its follow-up jobs to the outbox (`urbanops.core.outbox`) in its own
transaction; every worker process drains it into jobs (`work`).

Workers record a heartbeat (`procrastinate_workers`); every minute `jobs:retry_stalled_jobs`
gives the jobs of a worker that stopped beating (killed, machine lost) to the living ones, so
every job must be safe to run twice. Cron lines are read in UTC: `daily_at` writes one for a
time of day in the platform's timezone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from procrastinate import App, Blueprint, JobContext, PsycopgConnector
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

from urbanops.core import outbox
from urbanops.core.db import database_url
from urbanops.core.settings import get_settings

log = logging.getLogger(__name__)


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


def make_job_app(blueprints: Mapping[str, Blueprint]) -> App:
    """A procrastinate app with the domains' `blueprints` (by namespace) and the queue's own
    periodic jobs; `urbanops.worker.job_app` is the platform's."""
    # a small pool (see `core.db.JOB_CONNECTIONS`): jobs' own work uses the engine's
    pool_kwargs = {"prepare_threshold": None} if get_settings().db_pgbouncer else {}
    connector = PsycopgConnector(conninfo=conninfo(), min_size=1, max_size=3, kwargs=pool_kwargs)
    app = App(connector=connector)
    for namespace, blueprint in blueprints.items():
        app.add_tasks_from(blueprint, namespace=namespace)
    app.add_tasks_from(_jobs_blueprint(), namespace="jobs")
    return app


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
