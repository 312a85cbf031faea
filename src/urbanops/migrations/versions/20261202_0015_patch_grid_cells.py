"""an area chief's patch may also be grid cells: where the reference data has no community
outlines (Dongguan's communities come as codes only), cases carry a grid cell but no community

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column(
            "grid_cells", postgresql.ARRAY(sa.String(15)), nullable=False, server_default="{}"
        ),
    )


def downgrade() -> None:
    op.drop_column("app_user", "grid_cells")
