"""Fixtures of the identity tests: the staff accounts committed (a request that fails rolls
back everything its session had not committed, fixtures' rows included), and a settable
clock for the routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from urbanops.core.web import get_now

from ..conftest import NOW, Staff


@pytest.fixture
def accounts(session: Session, staff: dict[str, Staff]) -> dict[str, Staff]:
    session.commit()  # into the test's outer transaction, still rolled back after the test
    return staff


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    async def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    """The routes' `now`, starting at NOW; tests move it."""
    current = Clock(NOW)
    client.app.dependency_overrides[get_now] = current  # type: ignore[attr-defined]
    yield current
    client.app.dependency_overrides.pop(get_now, None)  # type: ignore[attr-defined]
