"""Administration fixtures: an admin's headers, and the audit entries a test wrote."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.identity import service as identity
from urbanops.identity.models import AuditEntry, User
from urbanops.identity.roles import Role

from ..conftest import PASSWORD, token


def strong_password() -> str:
    """A fresh password that passes the policy (upper, lower, digit, symbol)."""
    return secrets.token_urlsafe(10) + "Qz7#"


@pytest.fixture
def admin_user(session: Session) -> User:
    return identity.create_user(
        session, username="t_admin", password=PASSWORD, display_name="管理员甲", roles=[Role.admin]
    )


@pytest.fixture
def admin(client: TestClient, admin_user: User) -> dict[str, str]:
    return token(client, admin_user.username)


@pytest.fixture(autouse=True)
def audit_baseline(session: Session) -> None:
    """The newest audit entry before the test: entries left by others (a database the browser
    tests committed to) are not the test's."""
    session.info["audit_baseline"] = session.scalar(select(func.max(AuditEntry.id))) or 0


def audit_rows(session: Session, entity: str, key: object | None = None) -> list[AuditEntry]:
    """The test's audit entries of `entity` (and `key`), oldest first, as the requests wrote
    them."""
    session.expire_all()
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.id > session.info["audit_baseline"])
        .order_by(AuditEntry.id)
    )
    if key is not None:
        stmt = stmt.where(AuditEntry.entity_key == str(key))
    return list(session.scalars(stmt))


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body
