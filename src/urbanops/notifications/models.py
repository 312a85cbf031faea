"""Notification inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("recipient_kind IN ('citizen', 'user', 'unit')", name="recipient_kind"),
        CheckConstraint("channel IN ('in_app', 'sms')", name="channel"),
        Index("ix_notification_recipient", "recipient_kind", "recipient_id", "created_at"),
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
