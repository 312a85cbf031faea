"""idempotent staff actions: the answer to each action sent with an Idempotency-Key

Revision ID: 0011
Revises: 0013
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_request",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", postgresql.JSONB(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_action_request_case_id_case")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_action_request")),
    )
    op.create_index(op.f("ix_action_request_case_id"), "action_request", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_action_request_case_id"), table_name="action_request")
    op.drop_table("action_request")
