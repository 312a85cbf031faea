"""Farming flags (`rewards.farming`): a signal about one citizen, with its evidence, reviewed by
the rewards staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

SIGNALS = ("same_spot", "voided_soon", "device_burst", "shared_device", "assist_ring")
FLAG_STATES = ("open", "dismissed", "confirmed")


class RewardsFlag(Base):
    """One farming signal about a citizen: open until staff dismiss or confirm it. `key` (signal,
    citizen and what it is about) makes detection idempotent."""

    __tablename__ = "rewards_flag"
    __table_args__ = (
        CheckConstraint(f"signal IN {SIGNALS}", name="signal"),
        CheckConstraint(f"status IN {FLAG_STATES}", name="status"),
        Index("ix_rewards_flag_status", "status", "id"),
        Index("ix_rewards_flag_citizen", "citizen_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"))
    signal: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(160), unique=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
