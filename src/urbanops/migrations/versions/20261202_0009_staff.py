"""staff identity: an area chief's communities, password age, page sessions, and the audit log
of administrative changes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_TRIGGERS = (
    ("audit_entry_append_only", "UPDATE OR DELETE", "ROW"),
    ("audit_entry_no_truncate", "TRUNCATE", "STATEMENT"),
)


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column(
            "communities",
            postgresql.ARRAY(sa.String(12)),
            nullable=False,
            server_default="{}",
        ),
    )
    op.add_column("app_user", sa.Column("password_changed_at", sa.DateTime(timezone=True)))
    op.add_column(
        "app_user",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.create_table(
        "staff_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_staff_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_session")),
    )
    op.create_index(op.f("ix_staff_session_user_id"), "staff_session", ["user_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_audit_entry_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_entity", "audit_entry", ["entity", "entity_key", "at"])
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    # the audit log is kept as written, like the timeline (0007's function)
    for name, events, level in AUDIT_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {events} ON audit_entry"
            f" FOR EACH {level} EXECUTE FUNCTION urbanops_refuse_rewrite()"
        )


def downgrade() -> None:
    for name, _, _ in AUDIT_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON audit_entry")
    op.drop_index("ix_audit_entry_at", table_name="audit_entry")
    op.drop_index("ix_audit_entry_entity", table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index(op.f("ix_staff_session_user_id"), table_name="staff_session")
    op.drop_table("staff_session")
    op.drop_column("app_user", "must_change_password")
    op.drop_column("app_user", "password_changed_at")
    op.drop_column("app_user", "communities")
