"""Leaderboard tables, kept by a trigger on `points_entry` inserts (migration 0018).

`board_tally` holds one citizen's score on one board: a period (`all`, a month `2026-12`, a
Beijing ISO week `2026-W49`) and a scope (`city` or a town code). `board_histogram` counts the
listed citizens of a board by score, split into `SHARDS` rows per score (by citizen id) so that
concurrent postings by different citizens rarely wait for the same row; a citizen's rank is one
more than the sum of the counts above their score. `board_preference` records a citizen's
choice to stay off the boards (no row: listed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

SHARDS = 8  # histogram rows per score; the trigger uses citizen_id % 8


class BoardTally(Base):
    __tablename__ = "board_tally"
    __table_args__ = (
        Index(
            "ix_board_tally_top",
            "period",
            "scope",
            text("score DESC"),
            "citizen_id",
            postgresql_where=text("listed AND score > 0"),
        ),
        Index("ix_board_tally_citizen", "citizen_id"),
    )
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(9), primary_key=True)  # 'city' or a town code
    citizen_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    listed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class BoardHistogram(Base):
    __tablename__ = "board_histogram"
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(9), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    citizens: Mapped[int] = mapped_column(Integer)


class BoardPreference(Base):
    __tablename__ = "board_preference"
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
