"""Title routes: the citizen's titles and badges with progress to the next level
(`/api/v1/citizen/rewards/titles`), and the public honour roll of a month
(`/api/v1/rewards/honour-roll`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import CitizenDep
from urbanops.rewards import titles

citizen_router = APIRouter(
    prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES
)
public_router = APIRouter(prefix="/api/v1/rewards", tags=["rewards"], responses=PROBLEM_RESPONSES)

MonthQ = Annotated[
    str | None,
    Query(
        pattern=r"^20\d\d-(0[1-9]|1[0-2])$",
        description="YYYY-MM (Beijing); default: the month before this one",
    ),
]


class AwardOut(BaseModel):
    code: str  # newcomer | reports | assist_king | score_king
    name: str
    name_en: str
    level: int
    period: str | None  # the month of a 文明得分王
    score: int | None
    rank: int | None
    awarded_at: datetime


class ProgressOut(BaseModel):
    code: str
    name: str
    name_en: str
    level: int  # 0: not reached yet
    max_level: int
    count: int
    next_at: int | None  # the count the next level needs; None: every level reached
    thresholds: list[int]


class MyTitlesOut(BaseModel):
    valid_reports: int
    assists: int
    titles: list[AwardOut]
    progress: list[ProgressOut]


class HonouredOut(BaseModel):
    nickname: str
    score: int | None = None
    rank: int | None = None
    assists: int | None = None


class HonourRollOut(BaseModel):
    month: str
    score_kings: list[HonouredOut]
    assist_kings: list[HonouredOut]
    newcomers: int
    titled: int


@citizen_router.get("/rewards/titles", response_model=MyTitlesOut)
def my_titles(session: SessionDep, citizen: CitizenDep) -> MyTitlesOut:
    """My titles and badge levels, newest first, and how far each is from its next level."""
    mine = titles.my_titles(session, citizen.id)
    return MyTitlesOut(
        valid_reports=mine.valid_reports,
        assists=mine.assists,
        titles=[
            AwardOut(
                code=a.title,
                name=titles.TITLE_NAMES[a.title][0],
                name_en=titles.TITLE_NAMES[a.title][1],
                level=a.level,
                period=a.period or None,
                score=a.score,
                rank=a.rank,
                awarded_at=a.awarded_at,
            )
            for a in mine.awards
        ],
        progress=[ProgressOut(**p.__dict__) for p in mine.progress],
    )


@public_router.get("/honour-roll", response_model=HonourRollOut)
def honour_roll(
    session: SessionDep, now: NowDep, response: Response, month: MonthQ = None
) -> HonourRollOut:
    """A month's 文明得分王 (by rank), 文明助攻王 titled in it, and how many became 文明新秀;
    nicknames only (匿名市民 for those who stay off the boards)."""
    roll = titles.honour_roll(session, month=month or titles.previous_month(now))
    response.headers["Cache-Control"] = "public, max-age=60"
    return HonourRollOut(
        month=roll.month,
        score_kings=[
            HonouredOut(nickname=h.nickname, score=h.score, rank=h.rank) for h in roll.score_kings
        ],
        assist_kings=[
            HonouredOut(nickname=h.nickname, assists=h.assists) for h in roll.assist_kings
        ],
        newcomers=roll.newcomers,
        titled=roll.titled,
    )
