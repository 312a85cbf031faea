"""The test client's session ends each request the way production's `get_session` does."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput
from urbanops.core.web import SessionDep
from urbanops.identity.models import ApiKey


def test_a_route_that_raises_after_writing_leaves_nothing(
    client: TestClient, session: Session
) -> None:
    app = client.app

    @app.post("/_test/write-then-fail")  # type: ignore[attr-defined, untyped-decorator]
    def write_then_fail(s: SessionDep) -> None:
        s.add(ApiKey(name="half-written", prefix="uo_x", key_hash="0" * 64))
        s.flush()
        raise InvalidInput("失败", message_en="failed")

    @app.post("/_test/write")  # type: ignore[attr-defined, untyped-decorator]
    def write(s: SessionDep) -> None:
        s.add(ApiKey(name="written", prefix="uo_y", key_hash="1" * 64))

    assert client.post("/_test/write-then-fail").status_code == 422
    assert client.post("/_test/write").status_code == 200

    def count(name: str) -> int:
        return session.scalar(select(func.count()).where(ApiKey.name == name)) or 0

    assert count("half-written") == 0
    assert count("written") == 1
