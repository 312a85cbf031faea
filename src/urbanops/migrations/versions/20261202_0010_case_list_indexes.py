"""the console's case list, map and counts at a million cases: each case's h3 cell as an integer
(computed, for clustering by parent cell), and indexes: one per sort order
ending in the case id (keyset paging), the case number in byte order (prefix search), the
position (map boxes), and the open cases with every column the counts and the map read

Revision ID: 0010
Revises: 0015
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the same expression as `cases.listing.DEADLINE_KEY`
DEADLINE_KEY = "coalesce(due_at, '2200-01-01 00:00:00+00'::timestamptz)"
# the open statuses as of this revision (`cases.models.OPEN_PREDICATE`)
OPEN_PREDICATE = (
    "status IN ('accepted', 'awaiting_verification', 'dispatched', 'in_progress', 'parked',"
    " 'registered', 'reopened', 'reported', 'returned')"
)
OPEN_COVERED = [
    "status",
    "overdue",
    "due_at",
    "matter_code",
    "source",
    "reported_at",
    "deadline_provisional",
    "suspected_channel",
    "lat",
    "lon",
    "h3_int",
]


def upgrade() -> None:
    op.add_column(
        "case",
        sa.Column(
            "h3_int",
            sa.BigInteger(),
            sa.Computed("('x' || lpad(h3_cell, 16, '0'))::bit(64)::bigint"),
            nullable=True,
        ),
    )
    op.drop_index("ix_case_reported_at", table_name="case")
    # a town's cases of one status are counted from the index alone (counts by status)
    op.drop_index("ix_case_town_code", table_name="case")
    op.create_index("ix_case_town_status", "case", ["town_code", "status"])
    op.create_index("ix_case_reported_at_id", "case", ["reported_at", "id"])
    op.create_index("ix_case_unit_reported_at_id", "case", ["unit_id", "reported_at", "id"])
    op.create_index("ix_case_deadline_id", "case", [sa.text(DEADLINE_KEY), "id"])
    op.create_index("ix_case_number_c", "case", [sa.text('number COLLATE "C"')])
    op.create_index("ix_case_status_id", "case", ["status", "id"])
    op.create_index("ix_case_point", "case", [sa.text("point(lon, lat)")], postgresql_using="gist")
    op.create_index(
        "ix_case_open",
        "case",
        ["unit_id", "town_code"],
        postgresql_include=OPEN_COVERED,
        postgresql_where=OPEN_PREDICATE,
    )


def downgrade() -> None:
    for name in (
        "ix_case_open",
        "ix_case_point",
        "ix_case_status_id",
        "ix_case_number_c",
        "ix_case_deadline_id",
        "ix_case_unit_reported_at_id",
        "ix_case_reported_at_id",
    ):
        op.drop_index(name, table_name="case")
    op.create_index("ix_case_reported_at", "case", ["reported_at"])
    op.drop_index("ix_case_town_status", table_name="case")
    op.create_index("ix_case_town_code", "case", ["town_code"])
    op.drop_column("case", "h3_int")
