"""Leaderboard routes: the citizen's boards with where they stand and their choice to stay off
(`/api/v1/citizen/boards…`), and the public boards (`/api/v1/rewards/boards`, nicknames and
scores only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from urbanops.core.errors import InvalidInput
from urbanops.core.types import Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import CitizenDep
from urbanops.rewards import boards

citizen_router = APIRouter(
    prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES
)
public_router = APIRouter(prefix="/api/v1/rewards", tags=["rewards"], responses=PROBLEM_RESPONSES)

PeriodQ = Annotated[boards.Period, Query(description="week (Beijing ISO week) | month | all")]
ScopeQ = Annotated[boards.Scope, Query(description="city | town")]
TownQ = Annotated[
    Line | None,
    Query(max_length=9, pattern=r"^\d{9}$", description="the town's code, for scope=town"),
]
DayQ = Annotated[
    date | None,
    Query(description="a day (Beijing) of the week or month to show; default today"),
]


class PlaceOut(BaseModel):
    rank: int
    nickname: str
    score: int


class MyPlaceOut(PlaceOut):
    is_me: bool


class BoardOut(BaseModel):
    period: str
    period_key: str  # 'all', '2026-12', '2026-W49'
    period_label: str
    scope: str
    town_code: str | None
    town_name: str | None
    citizens: int  # on the board: listed, with points in the period
    top: list[PlaceOut]


class StandingOut(BaseModel):
    score: int
    rank: int | None  # None: not on this board
    listed: bool


class CitizenBoardOut(BoardOut):
    top: list[MyPlaceOut]  # type: ignore[assignment]
    me: StandingOut


class PreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    listed: bool


class PreferenceOut(BaseModel):
    listed: bool  # false: kept off every board (points and titles are kept)


def _day(day: date | None, now_day: date) -> date:
    if day is None:
        return now_day
    if not date(2000, 1, 1) <= day <= date(2100, 1, 1):
        raise InvalidInput("日期超出范围", code="invalid_date", message_en="date out of range")
    return day


def _board_fields(board: boards.Board) -> dict[str, object]:
    return {
        "period": board.period,
        "period_key": board.key,
        "period_label": boards.PERIOD_LABELS[board.period],
        "scope": board.scope,
        "town_code": board.town_code,
        "town_name": board.town_name,
        "citizens": board.citizens,
    }


@citizen_router.get("/boards", response_model=CitizenBoardOut)
def my_boards(
    session: SessionDep,
    now: NowDep,
    citizen: CitizenDep,
    period: PeriodQ = "week",
    scope: ScopeQ = "city",
    town: TownQ = None,
    day: DayQ = None,
) -> CitizenBoardOut:
    """A board's top 50 and where I stand; scope=town without a town is my home town's (or
    the town where I scored most)."""
    if scope == "town" and not town:
        town = boards.home_board_town(session, citizen.id, citizen.home_town_code)
    board = boards.read_board(
        session,
        period=period,
        scope=scope,
        day=_day(day, boards.beijing_date(now)),
        town_code=town,
        citizen_id=citizen.id,
    )
    assert board.me is not None
    return CitizenBoardOut(
        **_board_fields(board),
        top=[
            MyPlaceOut(
                rank=p.rank, nickname=p.nickname, score=p.score, is_me=p.citizen_id == citizen.id
            )
            for p in board.top
        ],
        me=StandingOut(score=board.me.score, rank=board.me.rank, listed=board.me.listed),
    )


@citizen_router.get("/boards/preference", response_model=PreferenceOut)
def my_board_preference(session: SessionDep, citizen: CitizenDep) -> PreferenceOut:
    return PreferenceOut(listed=boards.is_listed(session, citizen.id))


@citizen_router.put("/boards/preference", response_model=PreferenceOut)
def set_board_preference(
    session: SessionDep, now: NowDep, citizen: CitizenDep, body: PreferenceIn
) -> PreferenceOut:
    """Stay off the boards (`listed: false`) or come back; every board changes at once."""
    listed = boards.set_listed(session, citizen_id=citizen.id, listed=body.listed, now=now)
    return PreferenceOut(listed=listed)


@public_router.get("/boards", response_model=BoardOut)
def public_boards(
    session: SessionDep,
    now: NowDep,
    response: Response,
    period: PeriodQ = "week",
    scope: ScopeQ = "city",
    town: TownQ = None,
    day: DayQ = None,
) -> BoardOut:
    """A board's top 50, nicknames and scores only (no sign-in)."""
    board = boards.read_board(
        session,
        period=period,
        scope=scope,
        day=_day(day, boards.beijing_date(now)),
        town_code=town,
    )
    response.headers["Cache-Control"] = "public, max-age=30"
    return BoardOut(
        **_board_fields(board),
        top=[PlaceOut(rank=p.rank, nickname=p.nickname, score=p.score) for p in board.top],
    )
