"""Rewards tables: the append-only points ledger and the balance it derives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

ENTRY_KINDS = ("earn", "release", "clawback", "spend", "refund", "adjust", "assist", "expire")
REF_TYPES = ("case", "redemption", "adjustment", "assist", "clawback", "reset")


class PointsEntry(Base):
    """One movement of a citizen's points, never changed or deleted (a correction is a new
    entry). Each entry moves the `pending` bucket, the `available` bucket, or both (a release
    moves points from pending to available). `key` makes posting idempotent: the same key is
    written once, however many times a job or a client retries."""

    __tablename__ = "points_entry"
    __table_args__ = (
        CheckConstraint(f"kind IN {ENTRY_KINDS}", name="kind"),
        CheckConstraint(f"ref_type IN {REF_TYPES}", name="ref_type"),
        CheckConstraint("pending_delta <> 0 OR available_delta <> 0", name="moves"),
        Index("ix_points_entry_citizen", "citizen_id", "id"),
        Index("ix_points_entry_ref", "ref_type", "ref_id"),
        Index("ix_points_entry_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    pending_delta: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    available_delta: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reason: Mapped[str] = mapped_column(Text)  # what the citizen reads, in Chinese
    ref_type: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # staff who posted it


class PointsBalance(Base):
    """A citizen's balance: a cache of the sums of their entries, written in the same
    transaction as each entry, and the row that serialises concurrent postings for a citizen.
    The CHECKs make a negative balance impossible even for a writer that forgets to look."""

    __tablename__ = "points_balance"
    __table_args__ = (
        CheckConstraint("pending >= 0", name="pending_not_negative"),
        CheckConstraint("available >= 0", name="available_not_negative"),
    )
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"), primary_key=True)
    pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    available: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime]
