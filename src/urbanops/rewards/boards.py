"""Leaderboards (排行榜): weekly (Beijing ISO week), monthly and all-time, for the city and each
town, read from the tallies the `points_entry` trigger keeps (migration 0018).

A citizen's **score** on a board is what they earned in its period: `earn`, `release` (a move
from pending to available, so it adds nothing), `assist`, net of `clawback`. Spending, refunds,
expiry and staff adjustments do not move it, so redeeming a prize never lowers a rank. A
clawback counts in the week and month of the earning it takes back. An entry of a case counts
on the board of the case's town (so a citizen is on the board of each town they reported in);
other entries (assists) on their home town's. A citizen's rank is one more than the number of
listed citizens with a higher score (ties share a rank), read from the histogram: a sum over
the scores above theirs, however many citizens the board has. Only nicknames are shown (a
masked phone when there is none); a citizen may stay off the boards (`set_listed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.areas.models import Town
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.identity.citizens import mask_phone
from urbanops.rewards import ledger
from urbanops.rewards.board_models import BoardHistogram, BoardPreference, BoardTally

Period = Literal["week", "month", "all"]
Scope = Literal["city", "town"]
BEIJING = ZoneInfo("Asia/Shanghai")  # the trigger's periods are Beijing's (see migration 0018)
TOP = 50
PERIOD_LABELS = {"week": "周榜", "month": "月榜", "all": "总榜"}


@dataclass(frozen=True)
class Place:
    rank: int
    citizen_id: int
    nickname: str
    score: int


@dataclass(frozen=True)
class Standing:
    score: int
    rank: int | None  # None: not on the board (no points in the period, or stays off)
    listed: bool


@dataclass(frozen=True)
class Board:
    period: Period
    key: str  # 'all', '2026-12', '2026-W49'
    scope: Scope
    town_code: str | None
    town_name: str | None
    citizens: int  # listed citizens with a score above zero
    top: list[Place]
    me: Standing | None


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def period_key(period: Period, day: date) -> str:
    if period == "all":
        return "all"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def display_name(nickname: str | None, phone: str | None) -> str:
    return nickname or f"市民{mask_phone(phone)}"


def top_places(session: Session, key: str, scope: str, limit: int = TOP) -> list[Place]:
    """The first `limit` listed citizens by score (ties by who joined first), with ranks."""
    rows = session.execute(
        text(
            "SELECT t.citizen_id, t.score, c.nickname, c.phone FROM ("
            " SELECT citizen_id, score FROM board_tally"
            " WHERE period = :key AND scope = :scope AND listed AND score > 0"
            " ORDER BY score DESC, citizen_id LIMIT :limit) AS t"
            " LEFT JOIN citizen c ON c.id = t.citizen_id"
            " ORDER BY t.score DESC, t.citizen_id"
        ),
        {"key": key, "scope": scope, "limit": limit},
    ).all()
    places: list[Place] = []
    for i, (citizen_id, score, nickname, phone) in enumerate(rows):
        rank = places[-1].rank if places and places[-1].score == score else i + 1
        places.append(Place(rank, citizen_id, display_name(nickname, phone), score))
    return places


def standing(session: Session, key: str, scope: str, citizen_id: int) -> Standing:
    row = session.execute(
        select(BoardTally.score, BoardTally.listed).where(
            BoardTally.period == key, BoardTally.scope == scope, BoardTally.citizen_id == citizen_id
        )
    ).first()
    if row is None:
        return Standing(0, None, is_listed(session, citizen_id))
    score, listed = row
    if not listed or score <= 0:
        return Standing(score, None, listed)
    h = BoardHistogram
    above = session.scalar(
        select(func.coalesce(func.sum(h.citizens), 0)).where(
            h.period == key, h.scope == scope, h.score > score
        )
    )
    return Standing(score, int(above or 0) + 1, True)


def board_size(session: Session, key: str, scope: str) -> int:
    h = BoardHistogram
    total = session.scalar(
        select(func.coalesce(func.sum(h.citizens), 0)).where(
            h.period == key, h.scope == scope, h.score > 0
        )
    )
    return int(total or 0)


def home_board_town(session: Session, citizen_id: int, home_town: str | None) -> str | None:
    """The town board a citizen sees first: their home town, else the town where their
    all-time score is highest."""
    if home_town:
        return home_town
    return session.scalar(
        select(BoardTally.scope)
        .where(
            BoardTally.period == "all",
            BoardTally.citizen_id == citizen_id,
            BoardTally.scope != "city",
        )
        .order_by(BoardTally.score.desc(), BoardTally.scope)
        .limit(1)
    )


def read_board(
    session: Session,
    *,
    period: Period,
    scope: Scope,
    day: date,
    town_code: str | None = None,
    citizen_id: int | None = None,
    limit: int = TOP,
) -> Board:
    """A board: its top `limit` and, for a citizen, where they stand."""
    key = period_key(period, day)
    town_name = None
    if scope == "town":
        if not town_code:
            raise InvalidInput(
                "请选择镇街（town）", code="town_required", message_en="scope=town needs a town"
            )
        town = session.get(Town, town_code)
        if town is None:
            raise NotFound(
                f"没有编码为 {town_code} 的镇街",
                code="town_not_found",
                message_en=f"no town {town_code}",
            )
        town_name = town.name
        board_scope = town_code
    else:
        board_scope = "city"
        town_code = None
    me = standing(session, key, board_scope, citizen_id) if citizen_id is not None else None
    return Board(
        period=period,
        key=key,
        scope=scope,
        town_code=town_code,
        town_name=town_name,
        citizens=board_size(session, key, board_scope),
        top=top_places(session, key, board_scope, limit),
        me=me,
    )


def is_listed(session: Session, citizen_id: int) -> bool:
    listed = session.scalar(
        select(BoardPreference.listed).where(BoardPreference.citizen_id == citizen_id)
    )
    return True if listed is None else listed


def set_listed(session: Session, *, citizen_id: int, listed: bool, now: datetime) -> bool:
    """Put a citizen on the boards or take them off, at once on every board they have a score
    on. Runs under the citizen's ledger lock, so no posting of theirs interleaves."""
    ledger.lock_citizen(session, citizen_id, now)
    was = is_listed(session, citizen_id)
    session.execute(
        insert(BoardPreference)
        .values(citizen_id=citizen_id, listed=listed, updated_at=now)
        .on_conflict_do_update(
            index_elements=["citizen_id"], set_={"listed": listed, "updated_at": now}
        )
    )
    if was == listed:
        return listed
    change = 1 if listed else -1
    # the trigger's order (all-time, then months, then weeks; the city before its towns), so
    # neither waits for the other in a circle
    session.execute(
        text(
            "WITH moved AS ("
            " UPDATE board_tally SET listed = :listed"
            " WHERE citizen_id = :cid AND listed <> :listed RETURNING period, scope, score)"
            " SELECT urbanops_board_count(period, scope, score, CAST(:shard AS smallint), :change)"
            " FROM (SELECT * FROM moved ORDER BY CASE WHEN period = 'all' THEN 0"
            "  WHEN period LIKE '%W%' THEN 2 ELSE 1 END, period, scope <> 'city', scope) AS m"
        ),
        {"listed": listed, "cid": citizen_id, "shard": citizen_id % 8, "change": change},
    )
    return listed


def histogram_drift(session: Session, key: str, scope: str) -> list[tuple[int, int, int]]:
    """Scores of a board whose histogram count differs from its listed tallies: (score,
    histogram, tallies); empty when they agree."""
    rows = session.execute(
        text(
            "SELECT score, coalesce(h.n, 0), coalesce(t.n, 0) FROM"
            " (SELECT score, sum(citizens) AS n FROM board_histogram"
            "  WHERE period = :key AND scope = :scope GROUP BY score) AS h"
            " FULL JOIN (SELECT score, count(*) AS n FROM board_tally"
            "  WHERE period = :key AND scope = :scope AND listed AND score <> 0"
            "  GROUP BY score) AS t USING (score)"
            " WHERE coalesce(h.n, 0) <> coalesce(t.n, 0) ORDER BY score"
        ),
        {"key": key, "scope": scope},
    ).all()
    return [(int(s), int(h), int(t)) for s, h, t in rows]


def tally_drift(session: Session, citizen_ids: list[int]) -> list[tuple[str, str, int, int, int]]:
    """The citizens' tallies that differ from a recount of their ledger entries: (period,
    scope, citizen, tally, recount); empty when they agree."""
    rows = session.execute(
        text(
            "WITH e AS ("
            " SELECT x.citizen_id, x.pending_delta + x.available_delta AS delta,"
            "  (coalesce((SELECT min(y.at) FROM points_entry y WHERE x.kind = 'clawback'"
            "    AND y.kind = 'earn' AND y.citizen_id = x.citizen_id"
            "    AND y.ref_type IN ('case', x.ref_type) AND y.ref_id = x.ref_id), x.at)"
            "   AT TIME ZONE 'Asia/Shanghai') AS local,"
            "  coalesce(CASE WHEN x.ref_type IN ('case', 'clawback')"
            "   AND x.ref_id ~ '^[0-9]{1,18}$' THEN (SELECT c.town_code FROM \"case\" c"
            "   WHERE c.id = x.ref_id::bigint) END, z.home_town_code) AS town"
            " FROM points_entry x JOIN citizen z ON z.id = x.citizen_id"
            " WHERE x.citizen_id = ANY(:ids)"
            "  AND x.kind IN ('earn', 'release', 'assist', 'clawback')),"
            " boards AS ("
            " SELECT e.citizen_id, p.period, s.scope, e.delta FROM e"
            " CROSS JOIN LATERAL (VALUES ('all'), (to_char(e.local, 'YYYY-MM')),"
            "  (to_char(e.local, 'IYYY-\"W\"IW'))) AS p(period)"
            " CROSS JOIN LATERAL (VALUES ('city'), (e.town)) AS s(scope)"
            " WHERE s.scope IS NOT NULL),"
            " recount AS (SELECT citizen_id, period, scope, sum(delta) AS score FROM boards"
            "  GROUP BY citizen_id, period, scope),"
            " kept AS (SELECT citizen_id, period, scope, score FROM board_tally"
            "  WHERE citizen_id = ANY(:ids))"
            " SELECT period, scope, citizen_id, coalesce(k.score, 0), coalesce(r.score, 0)"
            " FROM kept k FULL JOIN recount r USING (citizen_id, period, scope)"
            " WHERE coalesce(k.score, 0) <> coalesce(r.score, 0)"
            " ORDER BY citizen_id, period, scope"
        ),
        {"ids": citizen_ids},
    ).all()
    return [(p, s, int(c), int(k), int(r)) for p, s, c, k, r in rows]


__all__ = [
    "Board",
    "Place",
    "Standing",
    "beijing_date",
    "home_board_town",
    "histogram_drift",
    "is_listed",
    "period_key",
    "read_board",
    "set_listed",
    "standing",
    "tally_drift",
    "top_places",
]
