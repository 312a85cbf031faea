"""rewards earning: the timeline projection's cursor and projected events, the points each case
earned, citizens' rewards profiles (share code, inviter, freeze) and reports' origins

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rewards_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("safe_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", TS, nullable=True),
    )
    # points are earned from the campaign's start: the timeline written before is not read
    op.execute(
        "INSERT INTO rewards_cursor (name, safe_id, seen_id)"
        " SELECT 'timeline', coalesce(max(id), 0), coalesce(max(id), 0) FROM case_event"
    )
    op.create_table(
        "rewards_projected_event",
        sa.Column("event_id", sa.BigInteger(), primary_key=True),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("projected_at", TS, nullable=False),
    )
    op.create_index("ix_rewards_projected_event_case_id", "rewards_projected_event", ["case_id"])
    op.create_table(
        "case_reward",
        sa.Column("case_id", sa.BigInteger(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("earned_at", TS, nullable=False),
        sa.Column("settled_at", TS, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'released', 'clawed_back')", name="ck_case_reward_state"
        ),
        sa.CheckConstraint("points > 0", name="ck_case_reward_points_positive"),
    )
    op.create_index("ix_case_reward_citizen_day", "case_reward", ["citizen_id", "day"])
    op.create_index("ix_case_reward_device_day", "case_reward", ["device_hash", "day"])
    op.create_index("ix_case_reward_ip_day", "case_reward", ["ip", "day"])
    op.create_index(
        "ix_case_reward_pending",
        "case_reward",
        ["earned_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "rewards_profile",
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), primary_key=True),
        sa.Column("share_code", sa.String(12), nullable=False),
        sa.Column("invited_by_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=True),
        sa.Column("invited_at", TS, nullable=True),
        sa.Column("frozen_at", TS, nullable=True),
        sa.Column("frozen_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("share_code", name="uq_rewards_profile_share_code"),
    )
    op.create_index("ix_rewards_profile_invited_by_id", "rewards_profile", ["invited_by_id"])
    op.create_table(
        "report_origin",
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("report.id"), primary_key=True),
        sa.Column("device_hash", sa.String(64), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_report_origin_device", "report_origin", ["device_hash", "at"])
    op.create_index("ix_report_origin_ip", "report_origin", ["ip", "at"])


def downgrade() -> None:
    op.drop_table("report_origin")
    op.drop_table("rewards_profile")
    op.drop_table("case_reward")
    op.drop_table("rewards_projected_event")
    op.drop_table("rewards_cursor")
