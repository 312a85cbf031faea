"""Title and badge tables (migration 0022): what the ledger says each citizen has done, and
the titles and badge levels awarded for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

# 文明新秀 (first valid report), the 文明随手拍 badge (levels by valid reports), 文明助攻王
# (assists), 文明得分王 (the month's top scorers)
TITLES = ("newcomer", "reports", "assist_king", "score_king")


class RewardProgress(Base):
    """A citizen's valid reports (cases whose points were released: the first `release` of
    each case) and assists, counted by the trigger `points_entry_progress`."""

    __tablename__ = "reward_progress"
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"), primary_key=True)
    valid_reports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assists: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime]


class TitleAward(Base):
    """One title or badge level given to a citizen, once: `period` is the month of a
    文明得分王 (with the score and rank that made it) and empty for the others."""

    __tablename__ = "title_award"
    __table_args__ = (
        CheckConstraint(f"title IN {TITLES}", name="title"),
        CheckConstraint("level >= 1", name="level_positive"),
        UniqueConstraint("citizen_id", "title", "level", "period", name="uq_title_award_once"),
        Index("ix_title_award_awarded", "title", "awarded_at"),
        Index("ix_title_award_period", "period", "title"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"))
    title: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    period: Mapped[str] = mapped_column(String(10), default="", server_default="")
    score: Mapped[int | None]
    rank: Mapped[int | None]
    awarded_at: Mapped[datetime]
