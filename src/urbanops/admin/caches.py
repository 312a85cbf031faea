"""Dropping a cache of reference data when an admin's edit of it ends.

The in-process caches (the responsibility matrix, time limits, the catalogue) are dropped at
once, so that the rest of the editing transaction reads the edit, and again when the
transaction ends (committed or rolled back; also the outer transaction a test's session joined,
which the session never hears of), so that no process keeps what it read meanwhile. Other
processes read the edit when their cache expires (at most a minute).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session


def drop_now_and_at_end(session: Session, invalidate: Callable[[], None]) -> None:
    invalidate()

    def listener(*_args: object) -> None:
        invalidate()

    for name in ("after_commit", "after_rollback"):
        event.listen(session, name, listener, once=True)
    event.listen(session.connection(), "rollback", listener, once=True)
