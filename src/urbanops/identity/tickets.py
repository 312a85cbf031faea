"""Stream tickets: short-lived signed tokens for the one place a bearer header cannot go.

A browser's `EventSource` sends no headers, so the console cannot present its bearer token to
a server-sent-events stream. It asks for a ticket instead (with its bearer token) and puts the
ticket in the stream's URL. A ticket is a JWT like the access token but with its own audience
(`aud`), so it opens only the stream it was issued for and is refused as a bearer token (PyJWT
rejects a token carrying an audience when none is asked for); it lives `TICKET_SECONDS`, so one
that leaks through a URL in a log is soon worthless. The stream checks the account once, when it
opens, and ends itself after a while, so that a deactivated account or a changed password stops
it too; the page then asks for a new ticket and reconnects.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt
from sqlalchemy.orm import Session

from urbanops.core.errors import NotAuthenticated
from urbanops.core.settings import get_settings
from urbanops.identity.models import User
from urbanops.identity.service import ALGORITHM

TICKET_SECONDS = 60
TRIAGE_STREAM = "urbanops:triage-stream"


def issue_ticket(user_id: int, now: datetime, audience: str) -> tuple[str, int]:
    """A ticket for `audience` (a stream), valid `TICKET_SECONDS`; and that lifetime."""
    payload = {
        "sub": str(user_id),
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=TICKET_SECONDS)).timestamp()),
    }
    return jwt.encode(payload, get_settings().auth.secret_key, algorithm=ALGORITHM), TICKET_SECONDS


def _refused() -> NotAuthenticated:
    return NotAuthenticated(
        "实时通道凭证无效或已过期，请刷新页面",
        code="invalid_ticket",
        message_en="invalid or expired stream ticket",
    )


def user_from_ticket(session: Session, ticket: str, audience: str) -> User:
    """The active account a ticket for `audience` was issued to, or 401."""
    try:
        payload = jwt.decode(
            ticket,
            get_settings().auth.secret_key,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "iat", "sub", "aud"]},
        )
        user_id = int(payload["sub"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise _refused() from exc
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not user.is_active:
        raise _refused()
    changed = user.password_changed_at
    if changed is not None and payload["iat"] < changed.timestamp():
        raise _refused()
    return user
