"""Integration fixtures: users of every role, the API client bound to the test transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.app import create_app
from urbanops.areas.models import Unit
from urbanops.core.web import get_session, request_session
from urbanops.identity import service as identity
from urbanops.identity.roles import Actor, Role

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Dongguan
PASSWORD = "Test-Pass-2026"


@dataclass
class Staff:
    username: str
    actor: Actor


@pytest.fixture
def unit_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Unit.code, Unit.id)).all())


@pytest.fixture
def staff(session: Session, unit_ids: dict[str, int]) -> dict[str, Staff]:
    specs = {
        "clerk": ([Role.intake_clerk], None),
        "chief": ([Role.shift_chief], None),
        "dispatcher": ([Role.dispatcher], None),
        "inspector": ([Role.inspector], None),
        "leader": ([Role.leader], None),
        "dongcheng": ([Role.handler], "branch_441900003"),
        "humen": ([Role.handler], "branch_441900121"),
        "municipal": ([Role.handler], "dept_municipal"),
    }
    out = {}
    for name, (roles, unit) in specs.items():
        user = identity.create_user(
            session,
            username=f"t_{name}",
            password=PASSWORD,
            display_name=name,
            roles=roles,
            unit_id=unit_ids[unit] if unit else None,
        )
        out[name] = Staff(user.username, identity.actor_for_user(user))
    return out


@pytest.fixture
def committed(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit (outside the per-test transaction), for rows that other
    connections must see (a worker, a second thread); tests clean up after themselves."""
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[get_session] = per_request(session)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def per_request(session: Session) -> Callable[[], AsyncIterator[Session]]:
    """`get_session` for a test's own session: each request starts after what the test wrote so
    far (committed to the test's savepoint, as production data is committed before a request)
    and commits or rolls back exactly as in production."""

    async def _session() -> AsyncIterator[Session]:
        session.commit()
        async with request_session(session, close=False) as s:
            yield s

    return _session


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
