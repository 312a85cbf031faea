"""the map tally's rows carry the envelope (least and greatest latitude and longitude) of the
cases they add, so that a map box that holds a cell's envelope, or misses it, is answered from
the tally: the console's map of the whole city with the page's box

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the open statuses as of this revision (`cases.models.OPEN_PREDICATE`)
OPEN_PREDICATE = (
    "status IN ('accepted', 'awaiting_verification', 'dispatched', 'in_progress', 'parked',"
    " 'registered', 'reopened', 'reported', 'returned')"
)
KEY = "status, town_code, unit_id, overdue"
MAP_KEY = "cell, town_code, overdue"
MAP_ROW = "h3_int >> 24 AS cell, town_code, overdue"
ENVELOPE = ("lat_min", "lat_max", "lon_min", "lon_max")
SUMS = "n, lat_sum, lon_sum, lat_min, lat_max, lon_min, lon_max"


def _change(envelope: bool) -> str:
    """The triggers' function: the case tally's rows, and the map tally's with (or, as of
    revision 0023, without) the envelope of the cases they add. A removal adds no point: its
    envelope is empty (NULL), and a fold keeps the least and greatest of a key's rows, so a
    key's envelope holds every case it counts (and perhaps more)."""
    cols = SUMS if envelope else "n, lat_sum, lon_sum"
    box = ", min(lat), max(lat), min(lon), max(lon)" if envelope else ""
    moved = (
        """,
            min(lat) FILTER (WHERE n > 0), max(lat) FILTER (WHERE n > 0),
            min(lon) FILTER (WHERE n > 0), max(lon) FILTER (WHERE n > 0)"""
        if envelope
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION urbanops_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
        INSERT INTO case_map_tally ({MAP_KEY}, {cols})
        SELECT {MAP_KEY}, count(*), sum(lat), sum(lon){box}
        FROM (SELECT {MAP_ROW}, lat, lon FROM new_rows WHERE {OPEN_PREDICATE}) AS o
        GROUP BY {MAP_KEY};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
        INSERT INTO case_map_tally ({MAP_KEY}, n, lat_sum, lon_sum)
        SELECT {MAP_KEY}, -count(*), -sum(lat), -sum(lon)
        FROM (SELECT {MAP_ROW}, lat, lon FROM old_rows WHERE {OPEN_PREDICATE}) AS o
        GROUP BY {MAP_KEY};
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, sum(n) FROM (
            SELECT {KEY}, 1 AS n FROM new_rows
            UNION ALL
            SELECT {KEY}, -1 AS n FROM old_rows
        ) AS changed
        GROUP BY {KEY} HAVING sum(n) <> 0;
        INSERT INTO case_map_tally ({MAP_KEY}, {cols})
        SELECT {MAP_KEY}, sum(n), sum(n * lat), sum(n * lon){moved}
        FROM (
            SELECT {MAP_ROW}, 1 AS n, lat, lon FROM new_rows WHERE {OPEN_PREDICATE}
            UNION ALL
            SELECT {MAP_ROW}, -1 AS n, lat, lon FROM old_rows WHERE {OPEN_PREDICATE}
        ) AS changed
        GROUP BY {MAP_KEY} HAVING sum(n) <> 0 OR sum(n * lat) <> 0 OR sum(n * lon) <> 0;
    ELSE
        DELETE FROM case_tally;
        DELETE FROM case_map_tally;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    for name in ENVELOPE:
        op.add_column("case_map_tally", sa.Column(name, sa.Float(), nullable=True))
    # the rows are made again from the cases, with their envelopes, while no case is written
    op.execute('LOCK TABLE "case" IN SHARE ROW EXCLUSIVE MODE')
    op.execute(_change(envelope=True))
    op.execute("DELETE FROM case_map_tally")
    op.execute(
        f"INSERT INTO case_map_tally ({MAP_KEY}, {SUMS})"
        f" SELECT {MAP_KEY}, count(*), sum(lat), sum(lon), min(lat), max(lat), min(lon), max(lon)"
        f' FROM (SELECT {MAP_ROW}, lat, lon FROM "case" WHERE {OPEN_PREDICATE}) AS o'
        f" GROUP BY {MAP_KEY}"
    )


def downgrade() -> None:
    op.execute(_change(envelope=False))
    for name in ENVELOPE:
        op.drop_column("case_map_tally", name)
