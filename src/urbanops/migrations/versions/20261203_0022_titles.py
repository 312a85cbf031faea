"""titles and badges: each citizen's valid reports and assists counted by a trigger on points
entries, which writes an award job when they change; the awards, unique so that awarding twice
writes nothing

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
TITLES = "('newcomer', 'reports', 'assist_king', 'score_king')"

# A valid report is the first `release` of a case for the citizen; an assist is an `assist`
# entry that adds points. Either one counted writes a `titles:award_titles` job (outbox).
PROGRESS = """
CREATE FUNCTION urbanops_progress_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_reports integer := 0;
    v_assists integer := 0;
BEGIN
    IF NEW.kind = 'release' AND NEW.ref_type = 'case' THEN
        IF EXISTS (
            SELECT 1 FROM points_entry x
            WHERE x.ref_type = 'case' AND x.ref_id = NEW.ref_id AND x.citizen_id = NEW.citizen_id
              AND x.kind = 'release' AND x.id <> NEW.id
        ) THEN
            RETURN NULL;
        END IF;
        v_reports := 1;
    ELSIF NEW.kind = 'assist' AND NEW.pending_delta + NEW.available_delta > 0 THEN
        v_assists := 1;
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO reward_progress AS p (citizen_id, valid_reports, assists, updated_at)
    VALUES (NEW.citizen_id, v_reports, v_assists, NEW.at)
    ON CONFLICT (citizen_id) DO UPDATE SET
        valid_reports = p.valid_reports + EXCLUDED.valid_reports,
        assists = p.assists + EXCLUDED.assists,
        updated_at = greatest(p.updated_at, EXCLUDED.updated_at);
    INSERT INTO job_outbox (task, args, queue)
    VALUES ('titles:award_titles', jsonb_build_object('citizen_id', NEW.citizen_id), 'default');
    RETURN NULL;
END $$
"""

BACKFILL = """
INSERT INTO reward_progress (citizen_id, valid_reports, assists, updated_at)
SELECT citizen_id,
       count(DISTINCT ref_id) FILTER (WHERE kind = 'release' AND ref_type = 'case'),
       count(*) FILTER (WHERE kind = 'assist' AND pending_delta + available_delta > 0),
       max(at)
FROM points_entry
WHERE (kind = 'release' AND ref_type = 'case')
   OR (kind = 'assist' AND pending_delta + available_delta > 0)
GROUP BY citizen_id
"""


def upgrade() -> None:
    op.create_table(
        "reward_progress",
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), primary_key=True),
        sa.Column("valid_reports", sa.Integer(), server_default="0", nullable=False),
        sa.Column("assists", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "title_award",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), nullable=False),
        sa.Column("title", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("period", sa.String(10), server_default="", nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("awarded_at", TS, nullable=False),
        sa.CheckConstraint(f"title IN {TITLES}", name="ck_title_award_title"),
        sa.CheckConstraint("level >= 1", name="ck_title_award_level_positive"),
        sa.UniqueConstraint("citizen_id", "title", "level", "period", name="uq_title_award_once"),
    )
    op.create_index("ix_title_award_awarded", "title_award", ["title", "awarded_at"])
    op.create_index("ix_title_award_period", "title_award", ["period", "title"])
    op.execute(PROGRESS)
    op.execute(
        "CREATE TRIGGER points_entry_progress AFTER INSERT ON points_entry"
        " FOR EACH ROW EXECUTE FUNCTION urbanops_progress_entry()"
    )
    op.execute(BACKFILL)
    op.execute(
        "INSERT INTO job_outbox (task, args, queue) SELECT 'titles:award_titles',"
        " jsonb_build_object('citizen_id', citizen_id), 'default' FROM reward_progress"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER points_entry_progress ON points_entry")
    op.execute("DROP FUNCTION urbanops_progress_entry()")
    op.drop_table("title_award")
    op.drop_table("reward_progress")
