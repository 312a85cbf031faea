"""Earning tables: the timeline projection's cursor and what it projected, the points each case
earned (and their state), and the citizen's rewards profile (share code, inviter, freeze)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

CASE_REWARD_STATES = ("pending", "released", "clawed_back")


class ProjectionCursor(Base):
    """How far the timeline projection has read. Every event with an id up to `safe_id` has
    been projected; `seen_id` is the highest id that existed at `seen_at` (the database's
    clock). Ids are handed out before their transactions commit, so a lower id can appear after
    a higher one: `seen_id` becomes `safe_id` only once the settle window has passed since it was
    seen, and events above `safe_id` are skipped when `ProjectedEvent` says they were done."""

    __tablename__ = "rewards_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    safe_id: Mapped[int] = mapped_column(BigInteger)
    seen_id: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime | None]


class ProjectedEvent(Base):
    """A timeline row the projection has read, and what it made of it (`earned`, `capped`,
    `released`, `clawed_back`, …): kept, so that a citizen's question "why no
    points?" has its answer."""

    __tablename__ = "rewards_projected_event"
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(24))
    projected_at: Mapped[datetime]


class CaseReward(Base):
    """The points a case earned its first reporter: pending until released (verified, or old
    enough without a dispute) or clawed back (voided, referred, merged). `day` is the Beijing
    date of the registration, which the daily caps count by; `device_hash` and `ip` are the
    origin of the report that opened the case."""

    __tablename__ = "case_reward"
    __table_args__ = (
        CheckConstraint(f"state IN {CASE_REWARD_STATES}", name="state"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_case_reward_citizen_day", "citizen_id", "day"),
        Index("ix_case_reward_device_day", "device_hash", "day"),
        Index("ix_case_reward_ip_day", "ip", "day"),
        Index("ix_case_reward_pending", "earned_at", postgresql_where=text("state = 'pending'")),
    )
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case.id"), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"))
    points: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))
    day: Mapped[date]
    device_hash: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    earned_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]  # released or clawed back


class RewardsProfile(Base):
    """A citizen's rewards profile, made on first need: the share code their links carry, who
    brought them (the inviter, set once at their first sign-in), and a freeze set when staff
    confirm a farming flag (no more points are earned while frozen)."""

    __tablename__ = "rewards_profile"
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"), primary_key=True)
    share_code: Mapped[str] = mapped_column(String(12), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("citizen.id"), index=True
    )
    invited_at: Mapped[datetime | None]
    frozen_at: Mapped[datetime | None]
    frozen_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
