"""login lockout and audit, provisional deadlines, calendar years imported then published

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("app_user", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index("ix_login_attempt_ip_at", "login_attempt", ["ip", "at"], unique=False)
    op.add_column(
        "case",
        sa.Column("deadline_provisional", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column(
        "calendar_year", sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "calendar_year", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
    )
    # years entered before review existed were published when entered
    op.execute("UPDATE calendar_year SET published_at = now(), imported_at = now()")


def downgrade() -> None:
    op.drop_column("calendar_year", "published_at")
    op.drop_column("calendar_year", "imported_at")
    op.drop_column("case", "deadline_provisional")
    op.drop_index("ix_login_attempt_ip_at", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_column("app_user", "locked_until")
    op.drop_column("app_user", "failed_logins")
