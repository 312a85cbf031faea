"""prizes: the catalogue (stock never below zero), redemptions with voucher codes and their
idempotency keys, and the payouts of cash red packets

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "('gift', 'outing', 'mystery', 'phone_credit', 'data', 'cash_red_packet')"
STATES = "('requested', 'issued', 'collected', 'cancelled')"
CANCELLED_BY = "('citizen', 'staff', 'expiry', 'payout_failed')"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "prize",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("price_points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("per_person_limit", sa.Integer(), nullable=True),
        sa.Column("valid_from", TS, nullable=True),
        sa.Column("valid_until", TS, nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("image_url", sa.String(300), nullable=True),
        sa.Column("low_stock_threshold", sa.Integer(), server_default="0", nullable=False),
        sa.Column("low_stock_crossings", sa.Integer(), server_default="0", nullable=False),
        sa.Column("low_stock_notified", sa.Integer(), server_default="0", nullable=False),
        sa.Column("face_value_fen", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_prize_kind"),
        sa.CheckConstraint("stock >= 0", name="ck_prize_stock_not_negative"),
        sa.CheckConstraint("price_points > 0", name="ck_prize_price_positive"),
        sa.CheckConstraint(
            "per_person_limit IS NULL OR per_person_limit > 0", name="ck_prize_limit_positive"
        ),
        sa.CheckConstraint("low_stock_threshold >= 0", name="ck_prize_threshold_not_negative"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until",
            name="ck_prize_validity_ordered",
        ),
        sa.CheckConstraint(
            "kind <> 'cash_red_packet' OR face_value_fen > 0", name="ck_prize_cash_has_face_value"
        ),
    )
    op.create_table(
        "redemption",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("prize_id", sa.Integer(), sa.ForeignKey("prize.id"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("voucher_code", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("issued_at", TS, nullable=True),
        sa.Column("issued_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("collected_at", TS, nullable=True),
        sa.Column("collected_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(f"status IN {STATES}", name="ck_redemption_status"),
        sa.CheckConstraint(
            f"cancelled_by IS NULL OR cancelled_by IN {CANCELLED_BY}",
            name="ck_redemption_cancelled_by",
        ),
        sa.CheckConstraint("points > 0", name="ck_redemption_points_positive"),
        sa.UniqueConstraint("citizen_id", "idempotency_key", name="uq_redemption_idempotency"),
        sa.UniqueConstraint("voucher_code", name="uq_redemption_voucher_code"),
    )
    op.create_index("ix_redemption_citizen", "redemption", ["citizen_id", "id"])
    op.create_index("ix_redemption_prize_citizen", "redemption", ["prize_id", "citizen_id"])
    op.create_index("ix_redemption_status", "redemption", ["status", "id"])
    op.create_index(
        "ix_redemption_open_expiry",
        "redemption",
        ["expires_at"],
        postgresql_where=sa.text("status IN ('requested', 'issued')"),
    )
    op.create_table(
        "payout",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("redemption_id", sa.BigInteger(), sa.ForeignKey("redemption.id"), nullable=False),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("out_no", sa.String(32), nullable=False),
        sa.Column("openid", sa.String(64), nullable=True),
        sa.Column("adapter", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'paid', 'failed')", name="ck_payout_status"),
        sa.CheckConstraint("amount_fen > 0", name="ck_payout_amount_positive"),
        sa.UniqueConstraint("redemption_id", name="uq_payout_redemption"),
        sa.UniqueConstraint("out_no", name="uq_payout_out_no"),
    )


def downgrade() -> None:
    op.drop_table("payout")
    op.drop_table("redemption")
    op.drop_table("prize")
