"""The job worker: the platform's procrastinate app (every domain's jobs) and the ways to run it.

This is an entry point, like `urbanops.app` for the web: it knows every domain, so that
`urbanops.core` need not (`core.jobs` holds the queue's mechanics).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from procrastinate import App

import urbanops.models  # noqa: F401  (every table known before any job runs)
from urbanops.core.jobs import make_job_app, work

log = logging.getLogger(__name__)

_app: App | None = None
_lock = threading.Lock()


def job_app() -> App:
    """The platform's job app, made once per process."""
    global _app
    with _lock:
        if _app is None:
            from urbanops.cases.jobs import blueprint as cases_jobs
            from urbanops.notifications.jobs import blueprint as notification_jobs
            from urbanops.reports.jobs import blueprint as report_jobs
            from urbanops.rewards.jobs import blueprint as rewards_jobs
            from urbanops.rewards.prize_jobs import blueprint as prize_jobs
            from urbanops.rewards.title_jobs import blueprint as title_jobs

            _app = make_job_app(
                {
                    "cases": cases_jobs,
                    "notifications": notification_jobs,
                    "reports": report_jobs,
                    "prizes": prize_jobs,
                    "rewards": rewards_jobs,
                    "titles": title_jobs,
                }
            )
        return _app


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
