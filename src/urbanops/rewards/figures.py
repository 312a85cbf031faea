"""The campaign's figures for its staff (rewards clerks, admins), over a span of Beijing days.

- participants: citizens with an `earn` entry in the span (a report of theirs became a case);
- valid reports: cases whose points were released in the span (their first `release`);
- titles awarded in the span, by title (badge levels together); a month's 文明得分王, awarded
  on the 1st of the next, count in the span that holds the month's first day;
- redemptions made in the span, by prize and by their state now;
- shares: citizens who came in the span through someone's share link, and how many shared;
  assists: `assist` entries, the citizens they went to, their points;
- points: what was earned, assisted, clawed back, adjusted, spent, refunded and expired in the
  span, from the ledger; issued = earned + assists − clawed back + adjustments; redeemed =
  spent − refunded; both also in yuan at `rewards.point_value_fen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor
from urbanops.rewards import boards
from urbanops.rewards.prizes import require_rewards_staff
from urbanops.rewards.titles import TITLE_NAMES

MAX_DAYS = 3660


@dataclass(frozen=True)
class Figures:
    start: date
    end: date  # inclusive
    participants: int
    valid_reports: int
    titles: list[dict[str, Any]]
    redemptions: list[dict[str, Any]]
    shares: dict[str, int]
    assists: dict[str, int]
    points: dict[str, int]
    point_value_fen: int


def span(start: date | None, end: date | None, now: datetime) -> tuple[date, date]:
    today = boards.beijing_date(now)
    end = end or today
    start = start or end.replace(day=1)
    if start > end:
        raise InvalidInput(
            "开始日期不能晚于结束日期",
            code="invalid_span",
            message_en="from must not be after to",
            extra={"field": "from"},
        )
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(
            "统计区间最长十年", code="invalid_span", message_en="a span of at most ten years"
        )
    return start, end


def campaign_figures(session: Session, *, actor: Actor, start: date, end: date) -> Figures:
    require_rewards_staff(actor)
    p: dict[str, Any] = {
        "a": datetime.combine(start, time(), boards.BEIJING),
        "b": datetime.combine(end + timedelta(days=1), time(), boards.BEIJING),
    }
    in_span = "at >= :a AND at < :b"
    ledger_row = session.execute(
        text(
            "SELECT"
            " count(DISTINCT citizen_id) FILTER (WHERE kind = 'earn'),"
            " count(DISTINCT (citizen_id, ref_id)) FILTER"
            "  (WHERE kind = 'release' AND ref_type = 'case'),"
            " coalesce(sum(pending_delta + available_delta) FILTER (WHERE kind = 'earn'), 0),"
            " coalesce(sum(pending_delta + available_delta) FILTER (WHERE kind = 'assist'), 0),"
            " coalesce(-sum(pending_delta + available_delta) FILTER (WHERE kind = 'clawback'), 0),"
            " coalesce(sum(pending_delta + available_delta) FILTER (WHERE kind = 'adjust'), 0),"
            " coalesce(-sum(pending_delta + available_delta) FILTER (WHERE kind = 'spend'), 0),"
            " coalesce(sum(pending_delta + available_delta) FILTER (WHERE kind = 'refund'), 0),"
            " coalesce(-sum(pending_delta + available_delta) FILTER (WHERE kind = 'expire'), 0),"
            " count(*) FILTER (WHERE kind = 'assist'),"
            " count(DISTINCT citizen_id) FILTER (WHERE kind = 'assist')"
            f" FROM points_entry WHERE {in_span}"
        ),
        p,
    ).one()
    (
        participants,
        valid_reports,
        earned,
        assisted,
        clawed_back,
        adjusted,
        spent,
        refunded,
        expired,
        assist_entries,
        assist_citizens,
    ) = (int(v or 0) for v in ledger_row)
    by_title: dict[str, int] = dict(
        session.execute(
            text(
                "SELECT title, count(*) FROM title_award WHERE CASE WHEN title = 'score_king'"
                " THEN to_date(period || '-01', 'YYYY-MM-DD') BETWEEN :first AND :last"
                " ELSE awarded_at >= :a AND awarded_at < :b END GROUP BY title"
            ),
            p | {"first": start, "last": end},
        ).all()
    )
    titles = [
        {"code": code, "name": zh, "name_en": en, "awarded": int(by_title.get(code, 0))}
        for code, (zh, en) in TITLE_NAMES.items()
    ]
    rows = session.execute(
        text(
            "SELECT z.id, z.name, z.kind, r.status, count(*), sum(r.points)"
            " FROM redemption r JOIN prize z ON z.id = r.prize_id"
            " WHERE r.created_at >= :a AND r.created_at < :b"
            " GROUP BY z.id, z.name, z.kind, r.status ORDER BY z.id"
        ),
        p,
    ).all()
    items: dict[int, dict[str, Any]] = {}
    for prize_id, name, kind, status, n, points in rows:
        item = items.setdefault(
            prize_id,
            {
                "prize_id": prize_id,
                "name": name,
                "kind": kind,
                "requested": 0,
                "issued": 0,
                "collected": 0,
                "cancelled": 0,
                "total": 0,
                "points": 0,
            },
        )
        item[status] = int(n)
        item["total"] += int(n)
        if status != "cancelled":
            item["points"] += int(points or 0)
    invited = session.execute(
        text(
            "SELECT count(*), count(DISTINCT invited_by_id) FROM rewards_profile"
            " WHERE invited_by_id IS NOT NULL AND invited_at >= :a AND invited_at < :b"
        ),
        p,
    ).one()
    issued = earned + assisted - clawed_back + adjusted
    redeemed = spent - refunded
    return Figures(
        start=start,
        end=end,
        participants=participants,
        valid_reports=valid_reports,
        titles=titles,
        redemptions=sorted(items.values(), key=lambda i: (-i["total"], i["prize_id"])),
        shares={"invited": int(invited[0] or 0), "sharers": int(invited[1] or 0)},
        assists={"entries": assist_entries, "citizens": assist_citizens, "points": assisted},
        points={
            "earned": earned,
            "assists": assisted,
            "clawed_back": clawed_back,
            "adjusted": adjusted,
            "spent": spent,
            "refunded": refunded,
            "expired": expired,
            "issued": issued,
            "redeemed": redeemed,
        },
        point_value_fen=get_settings().rewards.point_value_fen,
    )
