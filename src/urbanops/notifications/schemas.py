"""Notification API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    id: int
    case_id: int | None
    title: str
    body: str
    created_at: datetime
    read: bool


class StaffNotificationOut(NotificationOut):
    case_number: str | None = None


class InboxPage(BaseModel):
    """A page of a staff member's inbox, newest first, and how many are unread in all."""

    items: list[StaffNotificationOut]
    total: int
    unread: int
    page: int
    page_size: int


class ReadAllOut(BaseModel):
    marked: int


# a mainland mobile number (SMS), and an enterprise WeChat UserID; empty: not reached that way
PHONE_PATTERN = r"^(1[3-9][0-9]{9})?$"
WECOM_PATTERN = r"^[A-Za-z0-9_.@-]*$"


class ContactIn(BaseModel):
    """Where I am reached off the platform; leave a field out (or empty) not to be."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    wecom_userid: str | None = Field(
        default=None, max_length=64, pattern=WECOM_PATTERN, description="企业微信 UserID"
    )


class ContactOut(BaseModel):
    phone: str | None
    wecom_userid: str | None
