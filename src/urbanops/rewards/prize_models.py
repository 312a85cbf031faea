"""Prize tables: the catalogue (好礼), redemptions (兑换) with their voucher codes, and the
payouts of cash red packets (现金红包) through the payment port."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

PRIZE_KINDS = ("gift", "outing", "mystery", "phone_credit", "data", "cash_red_packet")
REDEMPTION_STATES = ("requested", "issued", "collected", "cancelled")
# who or what cancelled a redemption
CANCELLED_BY = ("citizen", "staff", "expiry", "payout_failed")
PAYOUT_STATES = ("pending", "paid", "failed")


class Prize(Base):
    """One prize of the catalogue. `stock` is what is left to redeem (the row is locked
    `FOR UPDATE` by every redemption and cancellation, and a CHECK forbids it below zero).
    `low_stock_crossings` counts the times stock fell to the threshold, `low_stock_notified`
    the last crossing whose staff alert was written (the alert job is safe to run twice)."""

    __tablename__ = "prize"
    __table_args__ = (
        CheckConstraint(f"kind IN {PRIZE_KINDS}", name="kind"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_points > 0", name="price_positive"),
        CheckConstraint("per_person_limit IS NULL OR per_person_limit > 0", name="limit_positive"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until",
            name="validity_ordered",
        ),
        CheckConstraint(
            "kind <> 'cash_red_packet' OR face_value_fen > 0", name="cash_has_face_value"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    price_points: Mapped[int]
    stock: Mapped[int]
    per_person_limit: Mapped[int | None]
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    image_url: Mapped[str | None] = mapped_column(String(300))
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    low_stock_crossings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    low_stock_notified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    face_value_fen: Mapped[int | None]  # money prizes: what the citizen receives
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Redemption(Base):
    """A citizen's redemption of one prize: requested → issued → collected, or cancelled (with
    a refund entry in the ledger and the stock given back). The voucher code is what the
    citizen shows (as text or QR) at a service station."""

    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint(f"status IN {REDEMPTION_STATES}", name="status"),
        CheckConstraint(
            f"cancelled_by IS NULL OR cancelled_by IN {CANCELLED_BY}", name="cancelled_by"
        ),
        CheckConstraint("points > 0", name="points_positive"),
        UniqueConstraint("citizen_id", "idempotency_key", name="uq_redemption_idempotency"),
        UniqueConstraint("voucher_code", name="uq_redemption_voucher_code"),
        Index("ix_redemption_citizen", "citizen_id", "id"),
        Index("ix_redemption_prize_citizen", "prize_id", "citizen_id"),
        Index("ix_redemption_status", "status", "id"),
        Index(
            "ix_redemption_open_expiry",
            "expires_at",
            postgresql_where=text("status IN ('requested', 'issued')"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"))
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id"))
    points: Mapped[int]  # the price paid (prices may change later)
    status: Mapped[str] = mapped_column(String(10))
    voucher_code: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # an uncollected voucher is cancelled after this
    issued_at: Mapped[datetime | None]
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    collected_at: Mapped[datetime | None]
    collected_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class Payout(Base):
    """The money of a cash red packet, paid after the redemption commits by the `pay_out` job
    through the payment port; `attempts` counts the tries, `out_no` names the transfer for the
    payment provider (the same on every retry, so the provider pays it once)."""

    __tablename__ = "payout"
    __table_args__ = (
        CheckConstraint(f"status IN {PAYOUT_STATES}", name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("redemption_id", name="uq_payout_redemption"),
        UniqueConstraint("out_no", name="uq_payout_out_no"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("redemption.id"))
    citizen_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("citizen.id"))
    amount_fen: Mapped[int]
    out_no: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str | None] = mapped_column(String(64))  # the WeChat payee, when known
    adapter: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
