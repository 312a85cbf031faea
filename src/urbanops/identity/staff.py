"""Staff passwords and page sessions: the password policy, changing a password, and the cookie
sessions of the staff pages (console, field app, leaders' inbox, administration).

The API keeps the OAuth2 password flow (`POST /api/v1/auth/token`, a signed bearer token);
pages sign in through `POST /api/v1/auth/session`, which checks the password the same way and
sets an HttpOnly, SameSite=Strict cookie holding a random token whose digest is stored here,
so that signing out or changing the password ends it at once. A password change also refuses
every bearer token issued before it (`service.user_from_token`).
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput, NotAuthenticated
from urbanops.core.settings import get_settings
from urbanops.identity.citizens import keyed_digest
from urbanops.identity.models import StaffSession, User
from urbanops.identity.service import hash_password, verify_password

# --- the password policy ------------------------------------------------------------------------

MIN_LENGTH = 8
MAX_LENGTH = 128
#: Character classes; a password uses at least `MIN_CLASSES` of them (等保 2.0 practice: three
#: of upper case, lower case, digits and symbols).
CLASSES = (
    ("大写字母", "upper-case letters", set(string.ascii_uppercase)),
    ("小写字母", "lower-case letters", set(string.ascii_lowercase)),
    ("数字", "digits", set(string.digits)),
)
MIN_CLASSES = 3
#: Passwords everyone tries first, refused whatever their classes.
COMMON = frozenset(
    {
        "password1!",
        "passw0rd!",
        "p@ssw0rd",
        "p@ssword1",
        "admin@123",
        "admin123!",
        "abc@1234",
        "qwer@1234",
        "1qaz@wsx",
        "1qaz!qaz",
        "aa123456!",
        "a1234567!",
        "welcome1!",
        "dongguan@123",
        "urbanops1!",
    }
)


def _classes(password: str) -> int:
    found = sum(any(c in chars for c in password) for _, _, chars in CLASSES)
    symbols = any(not c.isalnum() for c in password) or any(ord(c) > 127 for c in password)
    return found + symbols


def check_password_policy(password: str, *, username: str = "") -> None:
    """`InvalidInput` (code `weak_password`) saying what is missing, unless `password` is at
    least `MIN_LENGTH` long, mixes `MIN_CLASSES` of upper case, lower case, digits and symbols,
    does not contain the username, and is not one of the passwords everyone tries."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"密码至少 {MIN_LENGTH} 位",
            code="weak_password",
            message_en=f"a password has at least {MIN_LENGTH} characters",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"密码不能超过 {MAX_LENGTH} 位",
            code="weak_password",
            message_en=f"a password has at most {MAX_LENGTH} characters",
        )
    if _classes(password) < MIN_CLASSES:
        raise InvalidInput(
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
            code="weak_password",
            message_en="a password mixes at least three of: upper case, lower case, digits, symbols",
        )
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        raise InvalidInput(
            "密码不能包含用户名",
            code="weak_password",
            message_en="a password may not contain the username",
        )
    if lowered in COMMON:
        raise InvalidInput(
            "密码过于常见，请换一个",
            code="weak_password",
            message_en="this password is too common: choose another",
        )


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
