"""Leaderboard at scale: a city board of N citizens, its top 50 and one citizen's rank.

1. In the configured database (the embedded one of `urbanops demo`/`serve` unless
   `URBANOPS_DATABASE_URL` is set), in ONE transaction that is rolled back at the end (so the
   bench leaves nothing behind, even when stopped half-way): N citizens
   (`generate_series`, one statement with their tallies on this week's city board), scores
   from a heavy-tailed draw (`10 · ⌊2 / u^0.6⌋`, 20 points and up, a few citizens near 80,000:
   thousands of distinct scores), and the histogram those tallies give, then `ANALYZE`.
2. Times R reads of the board as the public route reads it (`boards.read_board`: how many are
   on the board, the top 50 with nicknames), R standings of random citizens
   (`boards.standing`: their tally and the sum of the histogram above their score), and R
   postings of an `earn` entry for random citizens through `ledger.post` (the trigger moves
   the citizen on three periods' boards of the city).
3. Rolls back.

The rows are the transaction's own and not yet committed: every read checks them against the
transaction itself, never the visibility map, which makes the reads a little slower than on
committed rows, not faster.

The last line is `board: citizens=N top_p95_ms=… me_p95_ms=… post_p95_ms=…`.
"""

from __future__ import annotations

import random
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from urbanops.core.db import get_engine
from urbanops.rewards import boards, ledger


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else 0.0


def _timed(rounds: int, work: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(rounds):
        start = time.perf_counter()
        work(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(*, citizens: int, rounds: int, progress: Callable[[str], None]) -> None:
    now = datetime.now(UTC)
    key = boards.period_key("week", boards.beijing_date(now))
    run_id = secrets.token_hex(3)
    connection = get_engine().connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        start = time.perf_counter()
        ids = [
            int(i)
            for i in session.scalars(
                text(
                    "WITH c AS ("
                    " INSERT INTO citizen (phone, nickname, language, created_at)"
                    " SELECT 'b' || :run || lpad(i::text, 9, '0'), '压测' || i, 'zh', :now"
                    " FROM generate_series(1, :n) AS i RETURNING id),"
                    " t AS (INSERT INTO board_tally"
                    " (period, scope, citizen_id, score, listed, updated_at)"
                    " SELECT :key, 'city', id,"
                    "  (10 * floor(2 / power(greatest(random(), 1e-9), 0.6)))::int, true, :now"
                    " FROM c RETURNING citizen_id, score),"
                    " h AS (INSERT INTO board_histogram AS h"
                    " (period, scope, score, shard, citizens)"
                    " SELECT :key, 'city', score, (citizen_id % 8)::smallint, count(*) FROM t"
                    " GROUP BY score, citizen_id % 8"
                    " ON CONFLICT (period, scope, score, shard)"
                    " DO UPDATE SET citizens = h.citizens + EXCLUDED.citizens)"
                    " SELECT citizen_id FROM t"
                ),
                {"run": run_id, "now": now, "n": citizens, "key": key},
            )
        ]
        session.execute(text("ANALYZE citizen"))
        session.execute(text("ANALYZE board_tally"))
        session.execute(text("ANALYZE board_histogram"))
        distinct = session.scalar(
            text("SELECT count(DISTINCT score) FROM board_histogram WHERE period = :key"),
            {"key": key},
        )
        progress(
            f"{len(ids)} citizens on board {key}/city ({distinct} distinct scores) in "
            f"{time.perf_counter() - start:.1f} s (one transaction, rolled back at the end)"
        )
        rng = random.Random(7)
        day = boards.beijing_date(now)

        def top(_: int) -> object:
            return boards.read_board(session, period="week", scope="city", day=day)

        def me(_: int) -> object:
            return boards.standing(session, key, "city", rng.choice(ids))

        def earn(i: int) -> object:
            return ledger.post(
                session,
                citizen_id=rng.choice(ids),
                kind="earn",
                key=f"bench:board:{run_id}:{i}",
                now=now,
                reason="压测",
                ref_type="case",
                ref_id=0,
                pending=20,
            )

        board = top(0)
        me(0)
        top_ms = _timed(rounds, top)
        me_ms = _timed(rounds, me)
        post_ms = _timed(rounds, earn)
        assert isinstance(board, boards.Board)
        progress(
            f"board of {board.citizens} citizens, first {board.top[0].nickname} "
            f"{board.top[0].score}; {rounds} rounds each; medians: top "
            f"{statistics.median(top_ms):.2f} ms, me {statistics.median(me_ms):.2f} ms, "
            f"post {statistics.median(post_ms):.2f} ms"
        )
    finally:
        session.close()
        outer.rollback()
        connection.close()
    print(
        f"board: citizens={citizens} top_p95_ms={_p95(top_ms):.2f}"
        f" me_p95_ms={_p95(me_ms):.2f} post_p95_ms={_p95(post_ms):.2f}"
    )
