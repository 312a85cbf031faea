"""staff notifications: contacts (phone, enterprise WeChat), outgoing WeChat messages, the
unit managers' daily digests, and an index for a staff inbox's unread count

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_contact",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("wecom_userid", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_staff_contact_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_contact")),
    )
    op.create_table(
        "outbound_wechat",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("wecom_userid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent')", name=op.f("ck_outbound_wechat_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_wechat")),
    )
    op.create_table(
        "staff_digest",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=True),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_staff_digest_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_staff_digest_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_staff_digest_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_staff_digest")),
    )
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["recipient_kind", "recipient_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_unread", table_name="notification")
    op.drop_table("staff_digest")
    op.drop_table("outbound_wechat")
    op.drop_table("staff_contact")
