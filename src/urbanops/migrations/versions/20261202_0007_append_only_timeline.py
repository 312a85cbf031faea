"""the timeline is append-only and reports are kept: triggers refuse UPDATE, DELETE and
TRUNCATE of case events, and DELETE and TRUNCATE of reports

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLSTATE 23001 (restrict_violation): drivers report it as an integrity error
REFUSE = """
CREATE FUNCTION urbanops_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of % refused: the rows are kept as written (a correction is a new row)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""

TRIGGERS = {
    "case_event_append_only": ("case_event", "UPDATE OR DELETE", "ROW"),
    "case_event_no_truncate": ("case_event", "TRUNCATE", "STATEMENT"),
    "report_kept": ("report", "DELETE", "ROW"),
    "report_no_truncate": ("report", "TRUNCATE", "STATEMENT"),
}


def upgrade() -> None:
    op.execute(REFUSE)
    for name, (table, events, level) in TRIGGERS.items():
        op.execute(
            f'CREATE TRIGGER {name} BEFORE {events} ON "{table}"'
            f" FOR EACH {level} EXECUTE FUNCTION urbanops_refuse_rewrite()"
        )


def downgrade() -> None:
    for name, (table, _, _) in TRIGGERS.items():
        op.execute(f'DROP TRIGGER {name} ON "{table}"')
    op.execute("DROP FUNCTION urbanops_refuse_rewrite()")
