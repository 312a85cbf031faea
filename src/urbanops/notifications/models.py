"""Notifications: the in-app inboxes (citizens' and staff members'), outgoing text and
enterprise WeChat messages, staff contacts, and the unit managers' daily digests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base


class Notification(Base):
    """One notification in an inbox: a citizen's, or a staff member's (`recipient_kind`
    'user'; the staff inbox, `GET /api/v1/inbox`). `case_id`/`event_id` are empty for a
    digest."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("recipient_kind IN ('citizen', 'user', 'unit')", name="recipient_kind"),
        CheckConstraint("channel IN ('in_app', 'sms')", name="channel"),
        Index("ix_notification_recipient", "recipient_kind", "recipient_id", "created_at"),
        Index(
            "ix_notification_unread",
            "recipient_kind",
            "recipient_id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id"))
    recipient_kind: Mapped[str] = mapped_column(String(10))
    recipient_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboundSms(Base):
    """A text message waiting for (or past) its `send_sms` job.

    Written in the transaction that decides to send it, so a rolled-back request sends nothing;
    the job sends it after commit and records that it did, so a retried job does not send it
    again. The text (which may hold a sign-in code) is blanked once the message is sent or has
    expired: only the fact of sending is kept.
    """

    __tablename__ = "outbound_sms"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'expired')", name="status"),
        CheckConstraint("purpose IN ('otp', 'case')", name="purpose"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    created_at: Mapped[datetime]
    # not sent after this instant (a sign-in code past its validity); None: no limit
    expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class StaffContact(Base):
    """Where a staff member is reached off the platform: a mobile phone (SMS) and an
    enterprise WeChat (企业微信) user id (work messages). Either may be missing; a staff
    member with neither has the in-app inbox only."""

    __tablename__ = "staff_contact"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    wecom_userid: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class OutboundWechat(Base):
    """An enterprise WeChat work message waiting for (or past) its `send_wechat` job; like
    `OutboundSms`, written in the deciding transaction and blanked once sent."""

    __tablename__ = "outbound_wechat"
    __table_args__ = (CheckConstraint("status IN ('pending', 'sent')", name="status"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    wecom_userid: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class StaffDigest(Base):
    """The daily digest a unit manager was sent on a (local) day: one per person and day, so
    the digest job run twice the same day sends once."""

    __tablename__ = "staff_digest"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    overdue: Mapped[int] = mapped_column(Integer)
    due_soon: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
