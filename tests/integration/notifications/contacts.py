"""Giving a test's staff member a phone or an enterprise WeChat id, through the service."""

from __future__ import annotations

from sqlalchemy.orm import Session

from urbanops.notifications.service import set_staff_contact

from ..conftest import NOW


def set_contact(
    session: Session, user_id: int, *, phone: str | None = None, wecom_userid: str | None = None
) -> None:
    set_staff_contact(session, user_id=user_id, phone=phone, wecom_userid=wecom_userid, now=NOW)
