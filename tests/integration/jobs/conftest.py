"""Fixtures for tests whose data a worker must see: committed through their own sessions."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from urbanops.core import outbox
from urbanops.core.jobs import conninfo
from urbanops.worker import job_app


@pytest.fixture
def committed(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit (outside the per-test transaction); tests clean up."""
    return sessionmaker(engine, expire_on_commit=False)


def work_off_jobs(timeout: float = 120) -> None:
    """Drain the job outbox and run a real worker in this process until no job is left to do
    (jobs may write outbox rows themselves: a notification queues a text message)."""
    app = job_app()

    async def work() -> None:
        async with app.open_async():
            await outbox.drain_all(app, conninfo())
            while True:
                await app.run_worker_async(
                    wait=False, install_signal_handlers=False, queues=["default"]
                )
                if not await outbox.drain_all(app, conninfo()):
                    break

    # on its own thread: an event loop may already run on this one (Playwright's, in a full run)
    runner = threading.Thread(target=lambda: asyncio.run(work()))
    runner.start()
    runner.join(timeout=timeout)
    assert not runner.is_alive(), "the worker did not finish its jobs"
