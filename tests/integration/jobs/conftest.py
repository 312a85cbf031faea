"""A real worker for tests whose data it must see (committed through `committed` sessions)."""

from __future__ import annotations

import asyncio
import threading

from urbanops.core import outbox
from urbanops.core.jobs import conninfo
from urbanops.worker import job_app


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
