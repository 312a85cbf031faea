"""photos and service stations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:48:09.778347
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "service_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("town_code", sa.String(length=9), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("amenities", sa.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("opening_hours", sa.String(length=100), nullable=False),
        sa.Column("is_demo", sa.Boolean(), server_default="false", nullable=False),
        sa.ForeignKeyConstraint(
            ["town_code"], ["town.code"], name=op.f("fk_service_station_town_code_town")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_station")),
    )
    op.create_table(
        "photo",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("citizen_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("thumb_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_photo_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
    )
    op.create_index(op.f("ix_photo_citizen_id"), "photo", ["citizen_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_photo_citizen_id"), table_name="photo")
    op.drop_table("photo")
    op.drop_table("service_station")
