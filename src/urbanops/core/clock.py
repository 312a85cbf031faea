"""The clock: the only place that reads the current time (tests inject their own `now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def scheduled_at(timestamp: int | None) -> datetime:
    """The instant a periodic job was scheduled for (procrastinate passes it as `timestamp`):
    the job's `now`, so that a job run late or twice decides as at its own time. A job deferred
    by hand, without one, runs as at the current time."""
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else utcnow()
