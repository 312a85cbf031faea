"""The transactional outbox: follow-up work is written as rows in the change's own transaction.

A change that needs a job afterwards (a notification, a text message) adds a `job_outbox` row in
its transaction (`add`, `add_for`, or `insert_sql` inside a hand-written statement): the row
commits or rolls back with the change, so no job is lost and none runs for a rolled-back change.
The change's transaction inserts nothing into procrastinate's tables, so it sends no `NOTIFY`:
PostgreSQL serialises the commits of every transaction that notified (a database-wide lock),
which capped intake at about half of what the same transaction reaches without it.

Every worker process runs `drain_forever`: it moves rows in batches into procrastinate jobs in
one transaction of its own (`SELECT … FOR UPDATE SKIP LOCKED`, one batch defer on that same
connection, `DELETE`, `COMMIT`), so a drainer killed mid-batch leaves its rows in place and
defers nothing; several drainers share the rows without waiting for each other. The batch's one
`NOTIFY` wakes the workers. Jobs are safe to run twice anyway (see `urbanops.core.jobs`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import BigInteger, DateTime, Table, Text, event, func, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from urbanops.core.db import Base

if TYPE_CHECKING:  # the drainer runs in worker processes: web processes need only the table
    from procrastinate import App
    from procrastinate.jobs import Job

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"
_PENDING = "urbanops_outbox_pending"


class JobOutbox(Base):
    """A job to defer once the transaction that wrote this row has committed."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task: Mapped[str] = mapped_column(Text)
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    queue: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_TABLE = cast(Table, JobOutbox.__table__)


def add(session: Session, task: str, *, queue: str = DEFAULT_QUEUE, **args: Any) -> None:
    """Write `task(**args)` to the outbox in the session's transaction (JSON arguments)."""
    session.execute(insert(_TABLE).values(task=task, args=args, queue=queue))


def add_for(session: Session, task: str, obj: Any, arg: str, *, queue: str = DEFAULT_QUEUE) -> None:
    """Write `task(arg=obj.id)` to the outbox; for a new `obj`, in the flush that gives it its
    id (same transaction)."""
    if getattr(obj, "id", None) is not None:
        add(session, task, queue=queue, **{arg: obj.id})
        return
    session.info.setdefault(_PENDING, []).append((task, obj, arg, queue))


@event.listens_for(Session, "after_flush")
def _write_pending(session: Session, _ctx: Any) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    ready = [p for p in pending if getattr(p[1], "id", None) is not None]
    session.info[_PENDING] = [p for p in pending if getattr(p[1], "id", None) is None]
    if ready:
        rows = [{"task": t, "args": {arg: obj.id}, "queue": q} for t, obj, arg, q in ready]
        session.connection().execute(insert(_TABLE), rows)


def insert_sql(task: str, arg: str, ids: str, *, queue: str = DEFAULT_QUEUE) -> str:
    """An `INSERT` of one outbox row `task(arg=id)` per `id` that the query `ids` returns: the
    body of a data-modifying `WITH` entry in a statement that writes rows and their jobs at once
    (same transaction, one round trip)."""
    return (
        f"INSERT INTO {_TABLE.name} (task, args, queue)"
        f" SELECT {_literal(task)}, jsonb_build_object({_literal(arg)}, job.id), {_literal(queue)}"
        f" FROM ({ids}) AS job"
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- the drainer ---------------------------------------------------------------------------------

_SELECT = "SELECT id, task, args, queue FROM job_outbox ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
_DELETE = "DELETE FROM job_outbox WHERE id = ANY(%s)"


async def drain_once(app: App, conn: psycopg.AsyncConnection[Any], batch: int) -> int:
    """Move up to `batch` rows into procrastinate jobs in one transaction on `conn` (autocommit
    off); returns how many rows were taken. Nothing is deferred unless the rows' deletion
    commits with it."""
    from procrastinate.exceptions import AlreadyEnqueued

    async with conn.transaction():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_SELECT, (batch,))
            rows = await cur.fetchall()
        if not rows:
            return 0
        jobs = [_job(app, conn, r["task"], r["queue"], r["args"]) for r in rows]
        try:
            async with conn.transaction():  # a savepoint: a queueing lock may refuse the batch
                await app.job_manager.batch_defer_jobs_async(jobs, connection=conn)
        except AlreadyEnqueued:
            await _defer_one_by_one(app, conn, jobs)
        await conn.execute(_DELETE, ([r["id"] for r in rows],))
    return len(rows)


def _job(app: App, conn: psycopg.AsyncConnection[Any], task: str, queue: str, args: Any) -> Job:
    """The job of one row, with the task's own settings (lock, priority, retry) when known."""
    deferrer = app.configure_task(task, queue=queue, connection=conn)
    return deferrer.make_new_job(**args)


async def _defer_one_by_one(app: App, conn: psycopg.AsyncConnection[Any], jobs: list[Job]) -> None:
    """Defer each job alone: a job whose queueing lock already has a waiting job is dropped (the
    waiting one does the same work)."""
    from procrastinate.exceptions import AlreadyEnqueued

    for job in jobs:
        try:
            async with conn.transaction():
                await app.job_manager.defer_job_async(job, connection=conn)
        except AlreadyEnqueued:
            log.info("outbox job %s dropped: already queued", job.task_name)


async def drain_all(app: App, conninfo: str, batch: int = 500) -> int:
    """Drain until the outbox is empty (tests, `urbanops jobs drain`); returns rows moved."""
    total = 0
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        while moved := await drain_once(app, conn, batch):
            total += moved
    return total


async def drain_forever(
    app: App,
    conninfo: Callable[[], str],
    *,
    poll_seconds: float,
    batch: int,
    retry_seconds: float = 5.0,
) -> None:
    """Drain on one connection of its own, every `poll_seconds` (at once again after a full
    batch), until cancelled; reconnects after any error (the rows wait meanwhile)."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo()) as conn:
                while True:
                    if await drain_once(app, conn, batch) < batch:
                        await asyncio.sleep(poll_seconds)
        except Exception:  # the database went away, or a batch failed: retry, never stop
            log.exception("outbox drainer failed, retrying in %.0f s", retry_seconds)
            await asyncio.sleep(retry_seconds)
