"""Page sessions of staff, password changes, and the audit log's append-only rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.core.clock import utcnow
from urbanops.core.errors import InvalidInput, NotAuthenticated
from urbanops.identity import service
from urbanops.identity import staff as pages
from urbanops.identity.models import AuditEntry, StaffSession, User

from ..conftest import NOW, Staff


def _user(session: Session, who: Staff) -> User:
    user = session.scalar(select(User).where(User.username == who.username))
    assert user is not None
    return user


def test_a_session_signs_in_until_it_expires_or_is_closed(
    session: Session, staff: dict[str, Staff]
) -> None:
    user = _user(session, staff["clerk"])
    token, ttl = pages.open_session(session, user, NOW)
    assert ttl > 0
    stored = session.scalars(select(StaffSession.token_hash)).all()
    assert token not in stored  # only the digest is kept
    assert pages.user_from_session(session, token, NOW + timedelta(seconds=ttl - 1)).id == user.id
    with pytest.raises(NotAuthenticated):
        pages.user_from_session(session, token, NOW + timedelta(seconds=ttl + 1))
    with pytest.raises(NotAuthenticated):
        pages.user_from_session(session, token + "x", NOW)
    pages.close_session(session, token)
    with pytest.raises(NotAuthenticated):
        pages.user_from_session(session, token, NOW)


def test_a_deactivated_account_is_signed_out(session: Session, staff: dict[str, Staff]) -> None:
    user = _user(session, staff["clerk"])
    token, _ = pages.open_session(session, user, NOW)
    user.is_active = False
    session.flush()
    with pytest.raises(NotAuthenticated):
        pages.user_from_session(session, token, NOW)


def test_changing_the_password_ends_sessions_and_older_tokens(
    session: Session, staff: dict[str, Staff]
) -> None:
    now = utcnow()  # bearer tokens expire by the wall clock
    user = _user(session, staff["dispatcher"])
    page, _ = pages.open_session(session, user, now)
    bearer, _ = service.issue_token(user, now)
    assert service.user_from_token(session, bearer).id == user.id
    pages.change_password(session, user, new_password="Fresh-Pass-2026", now=now)
    assert service.verify_password(user.password_hash, "Fresh-Pass-2026")
    with pytest.raises(NotAuthenticated):
        pages.user_from_session(session, page, now)
    with pytest.raises(NotAuthenticated):
        service.user_from_token(session, bearer)
    # a token of the password's own second is older too; once time has moved on, new ones work
    assert user.password_changed_at is not None and user.password_changed_at > now
    user.password_changed_at = now - timedelta(seconds=5)  # as if the change was 5 s ago
    fresh, _ = service.issue_token(user, now)
    assert service.user_from_token(session, fresh).id == user.id


def test_a_weak_or_reused_password_changes_nothing(
    session: Session, staff: dict[str, Staff]
) -> None:
    user = _user(session, staff["leader"])
    pages.change_password(session, user, new_password="First-Pass-2026", now=NOW)
    before = user.password_hash
    for weak in ("short1A", "nouppercase123", "First-Pass-2026"):
        with pytest.raises(InvalidInput):
            pages.change_password(session, user, new_password=weak, now=NOW)
        assert user.password_hash == before


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_the_audit_log_cannot_be_rewritten(session: Session, statement: str) -> None:
    entry = AuditEntry(
        at=NOW,
        actor="admin",
        entity="user",
        entity_key="1",
        change="update",
        before={"roles": ["handler"]},
        after={"roles": ["handler", "inspector"]},
    )
    session.add(entry)
    session.flush()
    sql = (
        update(AuditEntry).values(actor="someone else")
        if statement == "update"
        else delete(AuditEntry)
    )
    with pytest.raises(IntegrityError, match="refused"), session.begin_nested():
        session.execute(sql)
    session.expire_all()
    # other tests' committed entries aside, this one is as it was written
    assert session.scalars(select(AuditEntry.actor).where(AuditEntry.id == entry.id)).all() == [
        "admin"
    ]
