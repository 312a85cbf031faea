"""Reading notifications: a citizen's in-app inbox, and a staff member's."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.notifications.models import Notification
from urbanops.notifications.schemas import InboxPage, NotificationOut, StaffNotificationOut

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


def staff_inbox(
    session: Session, user_id: int, *, page: int = 1, page_size: int = 20, unread_only: bool = False
) -> InboxPage:
    """A page of the staff member's own in-app notifications (newest first), with the case
    number of each, their total and the unread count."""
    mine = [
        Notification.recipient_kind == "user",
        Notification.recipient_id == user_id,
        Notification.channel == "in_app",
    ]
    unread = session.scalar(
        select(func.count()).select_from(Notification).where(*mine, Notification.read_at.is_(None))
    )
    if unread_only:
        mine.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*mine))
    rows = session.execute(
        select(Notification, Case.number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(*mine)
        .order_by(Notification.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [
        StaffNotificationOut(
            id=n.id,
            case_id=n.case_id,
            case_number=number,
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n, number in rows
    ]
    return InboxPage(
        items=items, total=total or 0, unread=unread or 0, page=page, page_size=page_size
    )
