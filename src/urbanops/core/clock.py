"""The clock: the only place that reads the current time (tests inject their own `now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
