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
