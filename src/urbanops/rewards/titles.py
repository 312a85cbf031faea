"""Titles and badges (头衔 / 勋章), awarded when the ledger says so.

The trigger `points_entry_progress` (migration 0022) counts each citizen's valid reports (the
first `release` of a case: its points were confirmed when the case was verified) and assists,
and writes a `titles:award_titles` job in the posting's transaction. The job (`award_titles`)
gives what the counts have reached, with the thresholds of the settings
(`rewards.badge_levels`, `rewards.assist_title_assists`):

- 文明新秀 (`newcomer`): the first valid report;
- the 文明随手拍 badge (`reports`), Decidim's way: level k once the valid reports reach the
  k-th threshold (1/5/10/30/60 by default), every level a row of its own;
- 文明助攻王 (`assist_king`): `assist_title_assists` assists.

文明得分王 (`score_king`) goes to the `rewards.score_title_top` first of a month's city board
(ties at the last place included; citizens who stay off the boards are not on it, and
citizens whose earning staff froze for farming are passed over), by the
daily job `titles:award_score_kings` for the month before, once per month. Awards are unique
(citizen, title, level, period): awarding again writes nothing, so every job is safe to run
twice. Counts never go down, and an award is never taken back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.core.settings import get_settings
from urbanops.identity.models import Citizen
from urbanops.notifications.models import Notification
from urbanops.rewards import boards
from urbanops.rewards.board_models import BoardPreference
from urbanops.rewards.title_models import RewardProgress, TitleAward

TITLE_NAMES = {
    "newcomer": ("文明新秀", "Civility newcomer"),
    "reports": ("文明随手拍勋章", "Civic reporter badge"),
    "assist_king": ("文明助攻王", "Assist champion"),
    "score_king": ("文明得分王", "Top scorer of the month"),
}
HIDDEN_NAME = "匿名市民"  # an honour-roll place of a citizen who stays off the boards


def badge_level(count: int, levels: list[int]) -> int:
    """The badge level `count` reaches: how many thresholds it has passed (0: none)."""
    return sum(1 for threshold in levels if count >= threshold)


def _tell(session: Session, award: TitleAward, now: datetime) -> None:
    """The citizen hears of a new title or badge level in their in-app inbox."""
    cfg = get_settings().rewards
    name = TITLE_NAMES[award.title][0]
    if award.title == "reports":
        at = cfg.badge_levels[award.level - 1] if award.level <= len(cfg.badge_levels) else None
        title = f"「{name}」升至 {award.level} 级"
        body = (
            f"您的有效上报已达 {at} 条，感谢您为城市文明出力！" if at else "感谢您为城市文明出力！"
        )
    elif award.title == "score_king":
        title = f"恭喜当选 {award.period} 月「{name}」"
        body = f"您以 {award.score} 分位列全市月榜第 {award.rank} 名。"
    elif award.title == "assist_king":
        title = f"恭喜获得「{name}」称号"
        body = f"您分享的链接已带来 {cfg.assist_title_assists} 位以上新市民有效上报。"
    else:
        title = f"恭喜获得「{name}」称号"
        body = "您的首条上报已核实有效，感谢您为城市文明出力！"
    session.add(
        Notification(
            recipient_kind="citizen",
            recipient_id=award.citizen_id,
            channel="in_app",
            title=title[:100],
            body=body,
            created_at=now,
        )
    )


def award_titles(
    session: Session, *, citizen_id: int, now: datetime | None = None
) -> list[TitleAward]:
    """Give the citizen the titles and badge levels their counts have reached (dated when the
    ledger last moved them) and tell them in their inbox (at `now`, else that date); the new
    awards."""
    progress = session.get(RewardProgress, citizen_id, populate_existing=True)
    if progress is None:
        return []
    cfg = get_settings().rewards
    wanted: list[tuple[str, int]] = []
    if progress.valid_reports >= 1:
        wanted.append(("newcomer", 1))
    wanted += [
        ("reports", k) for k in range(1, badge_level(progress.valid_reports, cfg.badge_levels) + 1)
    ]
    if progress.assists >= cfg.assist_title_assists:
        wanted.append(("assist_king", 1))
    if not wanted:
        return []
    rows = [
        {
            "citizen_id": citizen_id,
            "title": title,
            "level": level,
            "period": "",
            "awarded_at": progress.updated_at,
        }
        for title, level in wanted
    ]
    ids = session.scalars(
        insert(TitleAward)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_title_award_once")
        .returning(TitleAward.id)
    ).all()
    if not ids:
        return []
    new = list(
        session.scalars(
            select(TitleAward)
            .where(TitleAward.id.in_(ids))
            .order_by(TitleAward.title, TitleAward.level)
        )
    )
    for award in new:
        _tell(session, award, now or progress.updated_at)
    session.flush()
    return new


def month_key(day: date) -> str:
    return boards.period_key("month", day)


def previous_month(now: datetime) -> str:
    first = boards.beijing_date(now).replace(day=1)
    return month_key(first - timedelta(days=1))


def month_bounds(key: str) -> tuple[datetime, datetime]:
    """The UTC instants where a month (Beijing) begins and the next one begins."""
    year, month = (int(part) for part in key.split("-"))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return (
        datetime.combine(start, time(), boards.BEIJING),
        datetime.combine(end, time(), boards.BEIJING),
    )


def award_score_kings(session: Session, *, month: str, now: datetime) -> int:
    """文明得分王 of `month` ('2026-11'): the first `score_title_top` of its city board, ties
    at the last place included; nothing when the month has them already. How many."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('urbanops:score_king'))"))
    done = session.scalar(
        select(TitleAward.id)
        .where(TitleAward.title == "score_king", TitleAward.period == month)
        .limit(1)
    )
    if done is not None:
        return 0
    top = get_settings().rewards.score_title_top
    params: dict[str, Any] = {"key": month, "nth": top - 1}
    # the board as shown, less citizens whose earning staff froze for farming
    listed = (
        "period = :key AND scope = 'city' AND listed AND score > 0 AND NOT EXISTS"
        " (SELECT 1 FROM rewards_profile r WHERE r.citizen_id = board_tally.citizen_id"
        " AND r.frozen_at IS NOT NULL)"
    )
    last = session.scalar(
        text(
            f"SELECT score FROM board_tally WHERE {listed}"
            " ORDER BY score DESC, citizen_id OFFSET :nth LIMIT 1"
        ),
        params,
    )
    rows = session.execute(
        text(
            f"SELECT citizen_id, score FROM board_tally WHERE {listed}"
            " AND score >= :least ORDER BY score DESC, citizen_id"
        ),
        params | {"least": last or 1},
    ).all()
    awards: list[dict[str, Any]] = []
    for i, (citizen_id, score) in enumerate(rows):
        rank = awards[-1]["rank"] if awards and awards[-1]["score"] == score else i + 1
        awards.append(
            {
                "citizen_id": citizen_id,
                "title": "score_king",
                "level": 1,
                "period": month,
                "score": score,
                "rank": rank,
                "awarded_at": now,
            }
        )
    if not awards:
        return 0
    made = session.scalars(
        insert(TitleAward)
        .values(awards)
        .on_conflict_do_nothing(constraint="uq_title_award_once")
        .returning(TitleAward)
    ).all()
    for award in made:
        _tell(session, award, now)
    session.flush()
    return len(made)


@dataclass(frozen=True)
class Progress:
    code: str
    name: str
    name_en: str
    level: int  # 0: not yet
    max_level: int
    count: int
    next_at: int | None  # the count of the next level; None: all reached
    thresholds: list[int]


@dataclass(frozen=True)
class MyTitles:
    valid_reports: int
    assists: int
    awards: list[TitleAward]
    progress: list[Progress]


def my_titles(session: Session, citizen_id: int) -> MyTitles:
    cfg = get_settings().rewards
    row = session.get(RewardProgress, citizen_id, populate_existing=True)
    reports, assists = (row.valid_reports, row.assists) if row else (0, 0)
    awards = list(
        session.scalars(
            select(TitleAward)
            .where(TitleAward.citizen_id == citizen_id)
            .order_by(TitleAward.awarded_at.desc(), TitleAward.id.desc())
        )
    )

    def progress(code: str, count: int, thresholds: list[int]) -> Progress:
        level = badge_level(count, thresholds)
        zh, en = TITLE_NAMES[code]
        return Progress(
            code=code,
            name=zh,
            name_en=en,
            level=level,
            max_level=len(thresholds),
            count=count,
            next_at=thresholds[level] if level < len(thresholds) else None,
            thresholds=thresholds,
        )

    return MyTitles(
        valid_reports=reports,
        assists=assists,
        awards=awards,
        progress=[
            progress("newcomer", reports, [1]),
            progress("reports", reports, cfg.badge_levels),
            progress("assist_king", assists, [cfg.assist_title_assists]),
        ],
    )


@dataclass(frozen=True)
class Honoured:
    nickname: str
    score: int | None
    rank: int | None
    assists: int | None


@dataclass(frozen=True)
class HonourRoll:
    month: str
    score_kings: list[Honoured]
    assist_kings: list[Honoured]  # titled in the month
    newcomers: int  # 文明新秀 titled in the month
    titled: int  # citizens given any title or badge level in the month


def honour_roll(session: Session, *, month: str) -> HonourRoll:
    start, end = month_bounds(month)
    listed = func.coalesce(BoardPreference.listed, True)

    def named(query: Any) -> list[Any]:
        return list(
            session.execute(
                query.join(Citizen, Citizen.id == TitleAward.citizen_id).outerjoin(
                    BoardPreference, BoardPreference.citizen_id == TitleAward.citizen_id
                )
            ).all()
        )

    def name(nickname: str, phone: str, is_listed: bool) -> str:
        return boards.display_name(nickname, phone) if is_listed else HIDDEN_NAME

    kings = named(
        select(TitleAward.score, TitleAward.rank, Citizen.nickname, Citizen.phone, listed)
        .where(TitleAward.title == "score_king", TitleAward.period == month)
        .order_by(TitleAward.rank, TitleAward.citizen_id)
    )
    assisters = named(
        select(RewardProgress.assists, Citizen.nickname, Citizen.phone, listed)
        .select_from(TitleAward)
        .join(RewardProgress, RewardProgress.citizen_id == TitleAward.citizen_id)
        .where(
            TitleAward.title == "assist_king",
            TitleAward.awarded_at >= start,
            TitleAward.awarded_at < end,
        )
        .order_by(RewardProgress.assists.desc(), TitleAward.citizen_id)
    )
    in_month = (TitleAward.awarded_at >= start) & (TitleAward.awarded_at < end)
    newcomers = session.scalar(select(func.count()).where(TitleAward.title == "newcomer", in_month))
    titled = session.scalar(
        select(func.count(func.distinct(TitleAward.citizen_id))).where(
            in_month | (TitleAward.period == month)
        )
    )
    return HonourRoll(
        month=month,
        score_kings=[
            Honoured(name(nick, phone, ok), score, rank, None)
            for score, rank, nick, phone, ok in kings
        ],
        assist_kings=[
            Honoured(name(nick, phone, ok), None, None, n) for n, nick, phone, ok in assisters
        ],
        newcomers=int(newcomers or 0),
        titled=int(titled or 0),
    )


__all__ = [
    "TITLE_NAMES",
    "HonourRoll",
    "MyTitles",
    "award_score_kings",
    "award_titles",
    "badge_level",
    "honour_roll",
    "month_bounds",
    "my_titles",
    "previous_month",
]
