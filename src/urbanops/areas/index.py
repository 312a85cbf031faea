"""The area index of this process, kept fresh off the request path.

Building the index (≈12,000 grid cells, their STRtree, the city's outline) takes ~100 ms of CPU.
It is built on the caller's session the first time it is needed and after `invalidate()` (an
edit in this process). After that a daemon thread looks every `refresh_seconds` at a small
fingerprint of the area tables (row counts and row versions, one statement) and rebuilds the
index only when it changed, on its own session, swapping the new one in when it is complete:
no request waits for a rebuild, and an unchanged city costs no rebuild at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from urbanops.core.memory import release_unused

log = logging.getLogger(__name__)

T = TypeVar("T")

# a row's xmin changes whenever it is written, so count and sum change with any edit
_FINGERPRINT = text(
    "SELECT concat_ws('/',"
    " (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM town),"
    " (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM community),"
    " (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM grid_cell))"
)


def fingerprint(session: Session) -> str:
    """A value that changes whenever a town, community or grid cell is added, edited or removed."""
    return str(session.execute(_FINGERPRINT).scalar_one())


class BackgroundRefreshed(Generic[T]):
    """A value built from the area tables: built by the first caller, then rebuilt in the
    background when the tables' fingerprint changes."""

    def __init__(
        self,
        build: Callable[[Session], T],
        sessions: Callable[[], Session],
        refresh_seconds: float,
    ) -> None:
        self._build = build
        self._sessions = sessions
        self.refresh_seconds = refresh_seconds
        self._current: tuple[T, str] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def get(self, session: Session) -> T:
        current = self._current
        if current is None:
            with self._lock:
                if self._current is None:
                    version = fingerprint(session)
                    self._current = (self._build(session), version)
                    release_unused()
                current = self._current
            self._start()
        return current[0]

    def invalidate(self) -> None:
        """Forget the value: the next caller builds it on its own session (an edit here)."""
        with self._lock:
            self._current = None

    def refresh(self) -> bool:
        """Rebuild now if the tables changed since the value was built; True when swapped in."""
        current = self._current
        if current is None:
            return False
        with self._sessions() as session:
            version = fingerprint(session)
            if version == current[1]:
                return False
            value = self._build(session)
        with self._lock:
            if self._current is not current:  # invalidated or rebuilt meanwhile
                return False
            self._current = (value, version)
        release_unused()
        log.info("area index rebuilt: the area tables changed")
        return True

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="urbanops-area-index", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Stop the refreshing thread (tests)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
            except Exception:  # the database is away: keep the index we have, try again later
                log.exception("area index refresh failed")
