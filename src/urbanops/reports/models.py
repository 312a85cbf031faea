"""A report from any source; it opens a case or joins one as a supporter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base


class Report(Base):
    __tablename__ = "report"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # what the submitter sent, before conversion to WGS-84
    datum: Mapped[str] = mapped_column(String(6))
    raw_lat: Mapped[float] = mapped_column(Float)
    raw_lon: Mapped[float] = mapped_column(Float)
    matter_code: Mapped[str | None] = mapped_column(ForeignKey("matter.code"))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    suggestions: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    is_supporter: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_citizen_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reporter_name: Mapped[str] = mapped_column(String(64), default="")
    reporter_phone: Mapped[str] = mapped_column(String(20), default="")
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    media: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    external_id: Mapped[str | None] = mapped_column(String(100))


class ClassifierModel(Base):
    """A trained text classifier (serialised); the newest active one serves suggestions."""

    __tablename__ = "classifier_model"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime]
    samples: Mapped[int] = mapped_column(BigInteger)
    corrections: Mapped[int] = mapped_column(BigInteger, default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Photo(Base):
    """An uploaded photo, re-encoded without metadata; `gps_*` came from its EXIF, if any."""

    __tablename__ = "photo"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime]
    citizen_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(BigInteger)
    height: Mapped[int] = mapped_column(BigInteger)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    key: Mapped[str] = mapped_column(String(100))
    thumb_key: Mapped[str] = mapped_column(String(100))


class ReportOrigin(Base):
    """Where a citizen's report came from: the app's device id (a keyed digest, never the id
    itself) and the client's address. The rewards' per-device and per-address caps and the
    farming signals read it."""

    __tablename__ = "report_origin"
    __table_args__ = (
        Index("ix_report_origin_device", "device_hash", "at"),
        Index("ix_report_origin_ip", "ip", "at"),
    )
    report_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("report.id"), primary_key=True)
    device_hash: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    at: Mapped[datetime]
