"""rewards flags: farming signals about citizens with their evidence, for staff review

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNALS = "('same_spot', 'voided_soon', 'device_burst', 'shared_device', 'assist_ring')"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rewards_flag",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("signal", sa.String(16), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("reviewed_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.CheckConstraint(f"signal IN {SIGNALS}", name="ck_rewards_flag_signal"),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'confirmed')", name="ck_rewards_flag_status"
        ),
        sa.UniqueConstraint("key", name="uq_rewards_flag_key"),
    )
    op.create_index("ix_rewards_flag_status", "rewards_flag", ["status", "id"])
    op.create_index("ix_rewards_flag_citizen", "rewards_flag", ["citizen_id", "id"])


def downgrade() -> None:
    op.drop_table("rewards_flag")
