"""the rewards points ledger: append-only entries (a trigger refuses UPDATE, DELETE and
TRUNCATE) and the balance they derive, never below zero

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "('earn', 'release', 'clawback', 'spend', 'refund', 'adjust', 'assist', 'expire')"
REF_TYPES = "('case', 'redemption', 'adjustment', 'assist', 'clawback', 'reset')"


def upgrade() -> None:
    op.create_table(
        "points_entry",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pending_delta", sa.Integer(), server_default="0", nullable=False),
        sa.Column("available_delta", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ref_type", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_points_entry_kind"),
        sa.CheckConstraint(f"ref_type IN {REF_TYPES}", name="ck_points_entry_ref_type"),
        sa.CheckConstraint(
            "pending_delta <> 0 OR available_delta <> 0", name="ck_points_entry_moves"
        ),
        sa.UniqueConstraint("key", name="uq_points_entry_key"),
    )
    op.create_index("ix_points_entry_citizen", "points_entry", ["citizen_id", "id"])
    op.create_index("ix_points_entry_ref", "points_entry", ["ref_type", "ref_id"])
    op.create_index("ix_points_entry_at", "points_entry", ["at"])
    op.create_table(
        "points_balance",
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), primary_key=True),
        sa.Column("pending", sa.Integer(), server_default="0", nullable=False),
        sa.Column("available", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pending >= 0", name="ck_points_balance_pending_not_negative"),
        sa.CheckConstraint("available >= 0", name="ck_points_balance_available_not_negative"),
    )
    # the function of migration 0007: the rows are kept as written
    op.execute(
        "CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry"
        " FOR EACH ROW EXECUTE FUNCTION urbanops_refuse_rewrite()"
    )
    op.execute(
        "CREATE TRIGGER points_entry_no_truncate BEFORE TRUNCATE ON points_entry"
        " FOR EACH STATEMENT EXECUTE FUNCTION urbanops_refuse_rewrite()"
    )


def downgrade() -> None:
    op.drop_table("points_balance")
    op.drop_table("points_entry")
