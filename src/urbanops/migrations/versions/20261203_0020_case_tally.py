"""the case tally: how many cases there are per status, town, unit and overdue flag, kept by
statement triggers on the case table as rows of changes (+n / -n) that a periodic job folds
together, so that the console's counts read a few thousand rows instead of a million cases;
and the open cases not yet overdue by deadline (due within 24 h)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the open statuses as of this revision (`cases.models.OPEN_PREDICATE`)
OPEN_PREDICATE = (
    "status IN ('accepted', 'awaiting_verification', 'dispatched', 'in_progress', 'parked',"
    " 'registered', 'reopened', 'reported', 'returned')"
)
KEY = "status, town_code, unit_id, overdue"
# each statement that writes cases adds one row per key it changed, with the change
CHANGE = f"""
CREATE FUNCTION urbanops_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO case_tally ({KEY}, n)
        SELECT {KEY}, sum(n) FROM (
            SELECT {KEY}, 1 AS n FROM new_rows
            UNION ALL
            SELECT {KEY}, -1 AS n FROM old_rows
        ) AS changed
        GROUP BY {KEY} HAVING sum(n) <> 0;
    ELSE
        DELETE FROM case_tally;
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "case_tally_insert": 'AFTER INSERT ON "case" REFERENCING NEW TABLE AS new_rows',
    "case_tally_update": (
        'AFTER UPDATE ON "case" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
    ),
    "case_tally_delete": 'AFTER DELETE ON "case" REFERENCING OLD TABLE AS old_rows',
    "case_tally_truncate": 'AFTER TRUNCATE ON "case"',
}


def upgrade() -> None:
    op.create_table(
        "case_tally",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    # no case is written between the triggers and the first count: both in this transaction,
    # after a lock that lets readers in and keeps writers out
    op.execute('LOCK TABLE "case" IN SHARE ROW EXCLUSIVE MODE')
    op.execute(CHANGE)
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION urbanops_case_tally()"
        )
    op.execute(
        f'INSERT INTO case_tally ({KEY}, n) SELECT {KEY}, count(*) FROM "case" GROUP BY {KEY}'
    )
    # due within 24 h: a range of deadlines among the open cases, answered from the index alone
    op.create_index(
        "ix_case_open_due",
        "case",
        ["due_at"],
        postgresql_include=["status", "overdue", "town_code", "unit_id"],
        postgresql_where=OPEN_PREDICATE,
    )


def downgrade() -> None:
    op.drop_index("ix_case_open_due", table_name="case")
    for name in TRIGGERS:
        op.execute(f'DROP TRIGGER {name} ON "case"')
    op.execute("DROP FUNCTION urbanops_case_tally()")
    op.drop_table("case_tally")
