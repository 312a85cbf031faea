"""Staff passwords and page sessions: changing a password (the policy is `identity.policy`),
and the cookie sessions of the staff pages (console, field app, leaders' inbox, administration).

The API keeps the OAuth2 password flow (`POST /api/v1/auth/token`, a signed bearer token);
pages sign in through `POST /api/v1/auth/session`, which checks the password the same way and
sets an HttpOnly, SameSite=Strict cookie holding a random token whose digest is stored here,
so that signing out or changing the password ends it at once. A password change also refuses
every bearer token issued before it (`service.user_from_token`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput, NotAuthenticated
from urbanops.core.settings import get_settings
from urbanops.identity.citizens import keyed_digest
from urbanops.identity.models import StaffSession, User
from urbanops.identity.policy import check_password_policy
from urbanops.identity.service import hash_password, verify_password


def change_password(session: Session, user: User, *, new_password: str, now: datetime) -> None:
    """Set `user`'s password (the caller has checked the old one): the policy applies, the old
    password may not be reused, and every session and token of the account ends."""
    check_password_policy(new_password, username=user.username)
    if verify_password(user.password_hash, new_password):
        raise InvalidInput(
            "新密码不能与原密码相同",
            code="password_reused",
            message_en="the new password must differ from the old one",
        )
    user.password_hash = hash_password(new_password)
    # whole seconds: a token's `iat` is whole seconds, and one issued in this second is older
    user.password_changed_at = now.replace(microsecond=0) + timedelta(seconds=1)
    user.must_change_password = False
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()


# --- page sessions ------------------------------------------------------------------------------

STAFF_COOKIE = "uo_staff"


def open_session(session: Session, user: User, now: datetime) -> tuple[str, int]:
    """A new page session of `user`: (the cookie's token, its lifetime in seconds)."""
    ttl = timedelta(minutes=get_settings().auth.token_ttl_minutes)
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=keyed_digest("staff-session", token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return token, int(ttl.total_seconds())


def user_from_session(session: Session, token: str, now: datetime) -> User:
    """The active user a page session belongs to, or `NotAuthenticated`."""
    user_id = session.scalar(
        select(StaffSession.user_id).where(
            StaffSession.token_hash == keyed_digest("staff-session", token),
            StaffSession.expires_at > now,
        )
    )
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise NotAuthenticated(
            "登录已失效，请重新登录", code="session_expired", message_en="please sign in again"
        )
    return user


def close_session(session: Session, token: str) -> None:
    session.execute(
        delete(StaffSession).where(StaffSession.token_hash == keyed_digest("staff-session", token))
    )
