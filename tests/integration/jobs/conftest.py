"""Fixtures for tests whose data a worker must see: committed through their own sessions."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from urbanops.core.jobs import job_app


@pytest.fixture
def committed(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit (outside the per-test transaction); tests clean up."""
    return sessionmaker(engine, expire_on_commit=False)


def work_off_jobs(timeout: float = 120) -> None:
    """Run a real worker in this process until no job is left to do."""
    app = job_app()

    async def work() -> None:
        async with app.open_async():
            await app.run_worker_async(
                wait=False, install_signal_handlers=False, queues=["default"]
            )

    # on its own thread: an event loop may already run on this one (Playwright's, in a full run)
    runner = threading.Thread(target=lambda: asyncio.run(work()))
    runner.start()
    runner.join(timeout=timeout)
    assert not runner.is_alive(), "the worker did not finish its jobs"
