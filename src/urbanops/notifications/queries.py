"""Reading notifications: a citizen's in-app inbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.notifications.models import Notification
from urbanops.notifications.schemas import NotificationOut

INBOX_SIZE = 100


def citizen_inbox(session: Session, citizen_id: int) -> list[NotificationOut]:
    """The citizen's newest in-app notifications, newest first (one statement)."""
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.recipient_kind == "citizen",
            Notification.recipient_id == citizen_id,
            Notification.channel == "in_app",
        )
        .order_by(Notification.id.desc())
        .limit(INBOX_SIZE)
    )
    return [
        NotificationOut(
            id=n.id,
            case_id=n.case_id,
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in rows
    ]
