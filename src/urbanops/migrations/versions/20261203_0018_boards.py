"""leaderboards: per-period tallies of each citizen's score and a per-score histogram, kept by a
trigger on points entries; the citizen's choice to stay off the boards

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

# One listed citizen more (+1) or fewer (-1) at a score of a board; score 0 is not counted.
COUNT = """
CREATE FUNCTION urbanops_board_count(
    p_period text, p_scope text, p_score integer, p_shard smallint, p_change integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_score = 0 THEN
        RETURN;
    END IF;
    INSERT INTO board_histogram AS h (period, scope, score, shard, citizens)
    VALUES (p_period, p_scope, p_score, p_shard, p_change)
    ON CONFLICT (period, scope, score, shard)
    DO UPDATE SET citizens = h.citizens + EXCLUDED.citizens;
END $$
"""

# Add `p_delta` to a citizen's score on one board and move them in its histogram.
ADD = """
CREATE FUNCTION urbanops_board_add(
    p_citizen bigint, p_period text, p_scope text, p_delta integer, p_listed boolean,
    p_at timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_new integer;
    v_old integer;
    v_listed boolean;
    v_shard smallint := (p_citizen % 8)::smallint;
BEGIN
    INSERT INTO board_tally AS t (period, scope, citizen_id, score, listed, updated_at)
    VALUES (p_period, p_scope, p_citizen, p_delta, p_listed, p_at)
    ON CONFLICT (period, scope, citizen_id)
    DO UPDATE SET score = t.score + EXCLUDED.score, updated_at = EXCLUDED.updated_at
    RETURNING t.score, t.listed INTO v_new, v_listed;
    IF NOT v_listed THEN
        RETURN;
    END IF;
    v_old := v_new - p_delta;
    -- the lower score's row first in every transaction, so that two never wait in a circle
    IF v_old < v_new THEN
        PERFORM urbanops_board_count(p_period, p_scope, v_old, v_shard, -1);
        PERFORM urbanops_board_count(p_period, p_scope, v_new, v_shard, 1);
    ELSE
        PERFORM urbanops_board_count(p_period, p_scope, v_new, v_shard, 1);
        PERFORM urbanops_board_count(p_period, p_scope, v_old, v_shard, -1);
    END IF;
END $$
"""

# What one points entry does to the boards. The score counts what was earned: earn, release
# (pending → available: no change in the sum), assist, net of clawback; spending, refunds,
# expiry and adjustments leave it. A clawback counts in the week and month of the earning it
# takes back. The town is the case's for entries of a case, else the citizen's home town.
APPLY = """
CREATE FUNCTION urbanops_board_apply(e points_entry) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_delta integer := e.pending_delta + e.available_delta;
    v_base timestamptz;
    v_town text;
    v_listed boolean;
    v_local timestamp;
    v_period text;
BEGIN
    IF e.kind NOT IN ('earn', 'release', 'assist', 'clawback') OR v_delta = 0 THEN
        RETURN;
    END IF;
    IF e.kind = 'clawback' THEN
        SELECT x.at INTO v_base FROM points_entry x
        WHERE x.ref_type IN ('case', e.ref_type) AND x.ref_id = e.ref_id
          AND x.citizen_id = e.citizen_id AND x.kind = 'earn'
        ORDER BY x.id LIMIT 1;
    END IF;
    v_local := coalesce(v_base, e.at) AT TIME ZONE 'Asia/Shanghai';
    IF e.ref_type IN ('case', 'clawback') AND e.ref_id ~ '^[0-9]{1,18}$' THEN
        SELECT c.town_code INTO v_town FROM "case" c WHERE c.id = e.ref_id::bigint;
    END IF;
    IF v_town IS NULL THEN
        SELECT c.home_town_code INTO v_town FROM citizen c WHERE c.id = e.citizen_id;
    END IF;
    SELECT p.listed INTO v_listed FROM board_preference p WHERE p.citizen_id = e.citizen_id;
    v_listed := coalesce(v_listed, true);
    FOREACH v_period IN ARRAY ARRAY[
        'all', to_char(v_local, 'YYYY-MM'), to_char(v_local, 'IYYY-"W"IW')
    ] LOOP
        PERFORM urbanops_board_add(e.citizen_id, v_period, 'city', v_delta, v_listed, e.at);
        IF v_town IS NOT NULL THEN
            PERFORM urbanops_board_add(e.citizen_id, v_period, v_town, v_delta, v_listed, e.at);
        END IF;
    END LOOP;
END $$
"""

TRIGGER = """
CREATE FUNCTION urbanops_board_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM urbanops_board_apply(NEW);
    RETURN NULL;
END $$
"""

BACKFILL = """
DO $$
DECLARE
    e points_entry;
BEGIN
    FOR e IN SELECT * FROM points_entry ORDER BY id LOOP
        PERFORM urbanops_board_apply(e);
    END LOOP;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "board_tally",
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("scope", sa.String(9), primary_key=True),
        sa.Column("citizen_id", sa.BigInteger(), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(
        "ix_board_tally_top",
        "board_tally",
        ["period", "scope", sa.text("score DESC"), "citizen_id"],
        postgresql_where=sa.text("listed AND score > 0"),
    )
    op.create_index("ix_board_tally_citizen", "board_tally", ["citizen_id"])
    op.create_table(
        "board_histogram",
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("scope", sa.String(9), primary_key=True),
        sa.Column("score", sa.Integer(), primary_key=True),
        sa.Column("shard", sa.SmallInteger(), primary_key=True),
        sa.Column("citizens", sa.Integer(), nullable=False),
    )
    op.create_table(
        "board_preference",
        sa.Column("citizen_id", sa.BigInteger(), sa.ForeignKey("citizen.id"), primary_key=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    for sql in (COUNT, ADD, APPLY, TRIGGER):
        op.execute(sql)
    op.execute(
        "CREATE TRIGGER points_entry_boards AFTER INSERT ON points_entry"
        " FOR EACH ROW EXECUTE FUNCTION urbanops_board_entry()"
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DROP TRIGGER points_entry_boards ON points_entry")
    op.execute("DROP FUNCTION urbanops_board_entry()")
    op.execute("DROP FUNCTION urbanops_board_apply(points_entry)")
    op.execute(
        "DROP FUNCTION urbanops_board_add(bigint, text, text, integer, boolean, timestamptz)"
    )
    op.execute("DROP FUNCTION urbanops_board_count(text, text, integer, smallint, integer)")
    op.drop_table("board_preference")
    op.drop_table("board_histogram")
    op.drop_table("board_tally")
