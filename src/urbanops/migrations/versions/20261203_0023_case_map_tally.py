"""the map tally: the open cases per res-7 h3 cell, town and overdue flag with the sums of their
positions, kept by the case tally's statement triggers, so that the console's map of the whole
city reads a few thousand rows instead of every open case; and the open cases' positions in
their own index (map boxes)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the open statuses as of this revision (`cases.models.OPEN_PREDICATE`)
OPEN_PREDICATE = (
    "status IN ('accepted', 'awaiting_verification', 'dispatched', 'in_progress', 'parked',"
    " 'registered', 'reopened', 'reported', 'returned')"
)
KEY = "status, town_code, unit_id, overdue"
MAP_KEY = "cell, town_code, overdue"
# a case's res-7 parent cell as the top bits of its h3 integer (`cases.casemap`)
MAP_ROW = "h3_int >> 24 AS cell, town_code, overdue"
MAP_SUMS = "n, lat_sum, lon_sum"


def _change(with_map: bool) -> str:
    """The triggers' function: the case tally's rows of changes, and the map tally's."""
    add = sub = upd = truncate = ""
    if with_map:
        add = f"""
        INSERT INTO case_map_tally ({MAP_KEY}, {MAP_SUMS})
        SELECT {MAP_KEY}, count(*), sum(lat), sum(lon)
        FROM (SELECT {MAP_ROW}, lat, lon FROM new_rows WHERE {OPEN_PREDICATE}) AS o
        GROUP BY {MAP_KEY};"""
        sub = f"""
        INSERT INTO case_map_tally ({MAP_KEY}, {MAP_SUMS})
        SELECT {MAP_KEY}, -count(*), -sum(lat), -sum(lon)
        FROM (SELECT {MAP_ROW}, lat, lon FROM old_rows WHERE {OPEN_PREDICATE}) AS o
        GROUP BY {MAP_KEY};"""
        upd = f"""
        INSERT INTO case_map_tally ({MAP_KEY}, {MAP_SUMS})
        SELECT {MAP_KEY}, sum(n), sum(lat), sum(lon) FROM (
            SELECT {MAP_ROW}, 1 AS n, lat, lon FROM new_rows WHERE {OPEN_PREDICATE}
            UNION ALL
            SELECT {MAP_ROW}, -1 AS n, -lat, -lon FROM old_rows WHERE {OPEN_PREDICATE}
        ) AS changed
        GROUP BY {MAP_KEY} HAVING sum(n) <> 0 OR sum(lat) <> 0 OR sum(lon) <> 0;"""
        truncate = "\n        DELETE FROM case_map_tally;"
    return f"""
CREATE OR REPLACE FUNCTION urbanops_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};{add}
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};{sub}
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, sum(n) FROM (
            SELECT {KEY}, 1 AS n FROM new_rows
            UNION ALL
            SELECT {KEY}, -1 AS n FROM old_rows
        ) AS changed
        GROUP BY {KEY} HAVING sum(n) <> 0;{upd}
    ELSE
        DELETE FROM case_tally;{truncate}
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "case_map_tally",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("lat_sum", sa.Float(), nullable=False),
        sa.Column("lon_sum", sa.Float(), nullable=False),
    )
    # no case is written between the new function and the first sums (see 0020)
    op.execute('LOCK TABLE "case" IN SHARE ROW EXCLUSIVE MODE')
    op.execute(_change(with_map=True))
    op.execute(
        f"INSERT INTO case_map_tally ({MAP_KEY}, {MAP_SUMS})"
        f" SELECT {MAP_KEY}, count(*), sum(lat), sum(lon)"
        f' FROM (SELECT {MAP_ROW}, lat, lon FROM "case" WHERE {OPEN_PREDICATE}) AS o'
        f" GROUP BY {MAP_KEY}"
    )
    op.create_index(
        "ix_case_open_point",
        "case",
        [sa.text("point(lon, lat)")],
        postgresql_using="gist",
        postgresql_where=OPEN_PREDICATE,
    )


def downgrade() -> None:
    op.drop_index("ix_case_open_point", table_name="case")
    op.execute(_change(with_map=False))
    op.drop_table("case_map_tally")
