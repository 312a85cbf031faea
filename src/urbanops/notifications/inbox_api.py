"""The staff inbox routes: a page of one's own notifications with the unread count, marking
one or all read (only the owner's rows: another's notification is 404); and where one is
reached off the platform (phone for SMS, enterprise WeChat id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from urbanops.core.types import DbId
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.identity.roles import Actor
from urbanops.notifications import queries, service
from urbanops.notifications.models import StaffContact
from urbanops.notifications.schemas import ContactIn, ContactOut, InboxPage, ReadAllOut

router = APIRouter(prefix="/api/v1", tags=["inbox"], responses=PROBLEM_RESPONSES)


def _user_id(actor: Actor) -> int:
    assert actor.id is not None, "a staff token names its account"
    return actor.id


@router.get("/inbox", response_model=InboxPage)
def inbox(
    session: SessionDep,
    actor: StaffDep,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    unread: Annotated[bool, Query(description="true: only the unread ones")] = False,
) -> InboxPage:
    """My notifications, newest first, and how many are unread."""
    return queries.staff_inbox(
        session, _user_id(actor), page=page, page_size=page_size, unread_only=unread
    )


@router.post("/inbox/{notification_id}/read", status_code=204)
def read_one(session: SessionDep, now: NowDep, actor: StaffDep, notification_id: DbId) -> Response:
    service.mark_staff_read(
        session, user_id=_user_id(actor), notification_id=notification_id, now=now
    )
    return Response(status_code=204)


@router.post("/inbox/read-all", response_model=ReadAllOut)
def read_all(session: SessionDep, now: NowDep, actor: StaffDep) -> ReadAllOut:
    return ReadAllOut(
        marked=service.mark_staff_inbox_read(session, user_id=_user_id(actor), now=now)
    )


@router.get("/me/contact", response_model=ContactOut)
def my_contact(session: SessionDep, actor: StaffDep) -> ContactOut:
    contact = session.get(StaffContact, _user_id(actor))
    return ContactOut(
        phone=contact.phone if contact else None,
        wecom_userid=contact.wecom_userid if contact else None,
    )


@router.put("/me/contact", response_model=ContactOut)
def set_my_contact(
    session: SessionDep, now: NowDep, actor: StaffDep, body: ContactIn
) -> ContactOut:
    """Where supervision and the daily digest reach me: WeChat when set, else SMS."""
    contact = service.set_staff_contact(
        session, user_id=_user_id(actor), phone=body.phone, wecom_userid=body.wecom_userid, now=now
    )
    return ContactOut(phone=contact.phone, wecom_userid=contact.wecom_userid)
