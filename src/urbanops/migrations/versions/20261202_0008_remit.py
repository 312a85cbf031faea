"""intake knows its remit: the channels other than urban management, the model's remit
probability and suspected channel on a case, the channel a case was referred to, and the
`referred` status

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = (
    "'reported', 'accepted', 'registered', 'dispatched', 'in_progress', 'returned', 'parked', "
    "'awaiting_verification', 'closed', 'reopened', 'merged', 'void'"
)
NEW_STATUSES = OLD_STATUSES + ", 'referred'"


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("reply_zh", sa.Text(), nullable=False),
        sa.Column("reply_en", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default="true"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_channel")),
    )
    op.add_column("case", sa.Column("in_remit", sa.Float(), nullable=True))
    op.add_column("case", sa.Column("suspected_channel", sa.String(16), nullable=True))
    op.add_column("case", sa.Column("channel_code", sa.String(16), nullable=True))
    op.create_foreign_key(
        op.f("fk_case_suspected_channel_channel"),
        "case",
        "channel",
        ["suspected_channel"],
        ["code"],
    )
    op.create_foreign_key(
        op.f("fk_case_channel_code_channel"), "case", "channel", ["channel_code"], ["code"]
    )
    op.drop_constraint(op.f("ck_case_status"), "case", type_="check")
    op.create_check_constraint(op.f("ck_case_status"), "case", f"status IN ({NEW_STATUSES})")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_case_status"), "case", type_="check")
    op.create_check_constraint(op.f("ck_case_status"), "case", f"status IN ({OLD_STATUSES})")
    op.drop_constraint(op.f("fk_case_channel_code_channel"), "case", type_="foreignkey")
    op.drop_constraint(op.f("fk_case_suspected_channel_channel"), "case", type_="foreignkey")
    op.drop_column("case", "channel_code")
    op.drop_column("case", "suspected_channel")
    op.drop_column("case", "in_remit")
    op.drop_table("channel")
