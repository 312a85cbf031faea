"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:39:44.542036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the job queue's own schema, pinned with the procrastinate version in pyproject.toml
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())
    op.execute(sa.schema.CreateSequence(sa.Sequence("case_number_seq")))
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_index(op.f("ix_api_key_prefix"), "api_key", ["prefix"], unique=False)
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=50), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_override")),
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.String(length=300), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=30), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("icon", sa.String(length=16), server_default="", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_table(
        "city",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_city")),
    )
    op.create_table(
        "classifier_model",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.BigInteger(), nullable=False),
        sa.Column("corrections", sa.BigInteger(), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_model")),
    )
    op.create_table(
        "matter_class",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.CheckConstraint("kind IN ('component', 'event')", name=op.f("ck_matter_class_kind")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_matter_class")),
    )
    op.create_table(
        "otp_challenge",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_otp_challenge")),
    )
    op.create_index(
        op.f("ix_otp_challenge_created_at"), "otp_challenge", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_otp_challenge_ip"), "otp_challenge", ["ip"], unique=False)
    op.create_index(op.f("ix_otp_challenge_phone"), "otp_challenge", ["phone"], unique=False)
    op.create_table(
        "component",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("class_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_code"], ["matter_class.code"], name=op.f("fk_component_class_code_matter_class")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_component")),
    )
    op.create_table(
        "town",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("geometry_wkb", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["city_code"], ["city.code"], name=op.f("fk_town_city_code_city")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_town")),
    )
    op.create_table(
        "citizen",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("nickname", sa.String(length=32), server_default="", nullable=False),
        sa.Column("home_town_code", sa.String(length=9), nullable=True),
        sa.Column("language", sa.String(length=5), server_default="zh", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["home_town_code"], ["town.code"], name=op.f("fk_citizen_home_town_code_town")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("phone", name=op.f("uq_citizen_phone")),
    )
    op.create_table(
        "community",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("geometry_wkb", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["town_code"], ["town.code"], name=op.f("fk_community_town_code_town")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_community")),
    )
    op.create_index(op.f("ix_community_town_code"), "community", ["town_code"], unique=False)
    op.create_table(
        "matter",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("class_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("component_code", sa.String(length=5), nullable=True),
        sa.Column("is_local_extension", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("duplicate_radius_m", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_code"], ["matter_class.code"], name=op.f("fk_matter_class_code_matter_class")
        ),
        sa.ForeignKeyConstraint(
            ["component_code"], ["component.code"], name=op.f("fk_matter_component_code_component")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_matter")),
    )
    op.create_index(op.f("ix_matter_class_code"), "matter", ["class_code"], unique=False)
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint("kind IN ('town_branch', 'department')", name=op.f("ck_unit_kind")),
        sa.ForeignKeyConstraint(["town_code"], ["town.code"], name=op.f("fk_unit_town_code_town")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_app_user_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_index(op.f("ix_app_user_unit_id"), "app_user", ["unit_id"], unique=False)
    op.create_table(
        "case",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            server_default=sa.text(
                "to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(mod(nextval('case_number_seq'), 1000000)::text, 6, '0')"
            ),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("matter_code", sa.String(length=5), nullable=True),
        sa.Column("category_code", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("h3_cell", sa.String(length=16), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("grid_cell_code", sa.String(length=15), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("reporter_citizen_id", sa.BigInteger(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=True),
        sa.Column("stage_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_unknown", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.BigInteger(), nullable=True),
        sa.Column("supporters", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("park_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "source IN ('citizen', 'inspector', 'hotline', 'camera', 'api', 'open311', 'staff', 'enterprise')",
            name=op.f("ck_case_source"),
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'accepted', 'registered', 'dispatched', 'in_progress', 'returned', 'parked', 'awaiting_verification', 'closed', 'reopened', 'merged', 'void')",
            name=op.f("ck_case_status"),
        ),
        sa.CheckConstraint(
            "escalation_level BETWEEN 0 AND 4", name=op.f("ck_case_escalation_level")
        ),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_case_rating")),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_case_category_code_category")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name=op.f("fk_case_community_code_community")
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"], ["matter.code"], name=op.f("fk_case_matter_code_matter")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["case.id"], name=op.f("fk_case_merged_into_id_case")
        ),
        sa.ForeignKeyConstraint(["town_code"], ["town.code"], name=op.f("fk_case_town_code_town")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_case_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("number", name=op.f("uq_case_number")),
    )
    op.create_index("ix_case_h3_matter", "case", ["h3_cell", "matter_code"], unique=False)
    op.create_index(op.f("ix_case_next_step_at"), "case", ["next_step_at"], unique=False)
    op.create_index("ix_case_reported_at", "case", ["reported_at"], unique=False)
    op.create_index(
        op.f("ix_case_reporter_citizen_id"), "case", ["reporter_citizen_id"], unique=False
    )
    op.create_index(op.f("ix_case_town_code"), "case", ["town_code"], unique=False)
    op.create_index("ix_case_unit_status", "case", ["unit_id", "status"], unique=False)
    op.create_table(
        "category_matter",
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("matter_code", sa.String(length=5), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
            name=op.f("fk_category_matter_category_code_category"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"], ["matter.code"], name=op.f("fk_category_matter_matter_code_matter")
        ),
        sa.PrimaryKeyConstraint("category_code", "matter_code", name=op.f("pk_category_matter")),
    )
    op.create_table(
        "citizen_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_citizen_session_citizen_id_citizen")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_citizen_session")),
    )
    op.create_index(
        op.f("ix_citizen_session_citizen_id"), "citizen_session", ["citizen_id"], unique=False
    )
    op.create_table(
        "grid_cell",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("geometry_wkb", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_grid_cell_community_code_community"),
        ),
        sa.ForeignKeyConstraint(
            ["town_code"], ["town.code"], name=op.f("fk_grid_cell_town_code_town")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_grid_cell")),
    )
    op.create_index(op.f("ix_grid_cell_town_code"), "grid_cell", ["town_code"], unique=False)
    op.create_table(
        "responsibility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("matter_class", sa.String(length=2), nullable=True),
        sa.Column("matter_code", sa.String(length=5), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "matter_class IS NULL OR matter_code IS NULL",
            name=op.f("ck_responsibility_class_or_matter"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_class"],
            ["matter_class.code"],
            name=op.f("fk_responsibility_matter_class_matter_class"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"], ["matter.code"], name=op.f("fk_responsibility_matter_code_matter")
        ),
        sa.ForeignKeyConstraint(
            ["town_code"], ["town.code"], name=op.f("fk_responsibility_town_code_town")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_responsibility_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibility")),
    )
    op.create_index(
        "uq_responsibility_scope",
        "responsibility",
        ["town_code", "matter_class", "matter_code"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "time_limit",
        sa.Column("matter_code", sa.String(length=5), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "stage IN ('dispatch', 'handle', 'verify')", name=op.f("ck_time_limit_stage")
        ),
        sa.CheckConstraint(
            "unit IN ('natural_hours', 'working_hours', 'working_days')",
            name=op.f("ck_time_limit_unit"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_time_limit_amount_positive")),
        sa.ForeignKeyConstraint(
            ["matter_code"], ["matter.code"], name=op.f("fk_time_limit_matter_code_matter")
        ),
        sa.PrimaryKeyConstraint("matter_code", "stage", name=op.f("pk_time_limit")),
    )
    op.create_table(
        "case_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_event_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index(op.f("ix_case_event_case_id"), "case_event", ["case_id"], unique=False)
    op.create_table(
        "extension_request",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_extension_request_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_extension_request_amount_positive")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_extension_request_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_extension_request_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["app_user.id"],
            name=op.f("fk_extension_request_requested_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_request")),
    )
    op.create_index(
        op.f("ix_extension_request_case_id"), "extension_request", ["case_id"], unique=False
    )
    op.create_table(
        "phone_reveal",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_phone_reveal_citizen_id_citizen")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_phone_reveal_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_reveal")),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("datum", sa.String(length=6), nullable=False),
        sa.Column("raw_lat", sa.Float(), nullable=False),
        sa.Column("raw_lon", sa.Float(), nullable=False),
        sa.Column("matter_code", sa.String(length=5), nullable=True),
        sa.Column("category_code", sa.String(length=32), nullable=True),
        sa.Column("suggestions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_supporter", sa.Boolean(), nullable=False),
        sa.Column("reporter_citizen_id", sa.BigInteger(), nullable=True),
        sa.Column("reporter_name", sa.String(length=64), nullable=False),
        sa.Column("reporter_phone", sa.String(length=20), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("media", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_key.id"], name=op.f("fk_report_api_key_id_api_key")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_report_case_id_case")),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_report_category_code_category")
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"], ["matter.code"], name=op.f("fk_report_matter_code_matter")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["app_user.id"], name=op.f("fk_report_submitted_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_report_idempotency_key")),
    )
    op.create_index(op.f("ix_report_case_id"), "report", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_report_reporter_citizen_id"), "report", ["reporter_citizen_id"], unique=False
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('in_app', 'sms')", name=op.f("ck_notification_channel")),
        sa.CheckConstraint(
            "recipient_kind IN ('citizen', 'user', 'unit')",
            name=op.f("ck_notification_recipient_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_notification_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["case_event.id"], name=op.f("fk_notification_event_id_case_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(
        "ix_notification_recipient",
        "notification",
        ["recipient_kind", "recipient_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_report_reporter_citizen_id"), table_name="report")
    op.drop_index(op.f("ix_report_case_id"), table_name="report")
    op.drop_table("report")
    op.drop_table("phone_reveal")
    op.drop_index(op.f("ix_extension_request_case_id"), table_name="extension_request")
    op.drop_table("extension_request")
    op.drop_index(op.f("ix_case_event_case_id"), table_name="case_event")
    op.drop_table("case_event")
    op.drop_table("time_limit")
    op.drop_index(
        "uq_responsibility_scope", table_name="responsibility", postgresql_nulls_not_distinct=True
    )
    op.drop_table("responsibility")
    op.drop_index(op.f("ix_grid_cell_town_code"), table_name="grid_cell")
    op.drop_table("grid_cell")
    op.drop_index(op.f("ix_citizen_session_citizen_id"), table_name="citizen_session")
    op.drop_table("citizen_session")
    op.drop_table("category_matter")
    op.drop_index("ix_case_unit_status", table_name="case")
    op.drop_index(op.f("ix_case_town_code"), table_name="case")
    op.drop_index(op.f("ix_case_reporter_citizen_id"), table_name="case")
    op.drop_index("ix_case_reported_at", table_name="case")
    op.drop_index(op.f("ix_case_next_step_at"), table_name="case")
    op.drop_index("ix_case_h3_matter", table_name="case")
    op.drop_table("case")
    op.drop_index(op.f("ix_app_user_unit_id"), table_name="app_user")
    op.drop_table("app_user")
    op.drop_table("unit")
    op.drop_index(op.f("ix_matter_class_code"), table_name="matter")
    op.drop_table("matter")
    op.drop_index(op.f("ix_community_town_code"), table_name="community")
    op.drop_table("community")
    op.drop_table("citizen")
    op.drop_table("town")
    op.drop_table("component")
    op.drop_index(op.f("ix_otp_challenge_phone"), table_name="otp_challenge")
    op.drop_index(op.f("ix_otp_challenge_ip"), table_name="otp_challenge")
    op.drop_index(op.f("ix_otp_challenge_created_at"), table_name="otp_challenge")
    op.drop_table("otp_challenge")
    op.drop_table("matter_class")
    op.drop_table("classifier_model")
    op.drop_table("city")
    op.drop_table("category")
    op.drop_table("calendar_year")
    op.drop_table("calendar_override")
    op.drop_index(op.f("ix_api_key_prefix"), table_name="api_key")
    op.drop_table("api_key")
    op.execute(sa.schema.DropSequence(sa.Sequence("case_number_seq")))
