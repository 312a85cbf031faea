"""The campaign's figures for rewards clerks and admins (`GET /api/v1/rewards/figures`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.rewards import figures

router = APIRouter(prefix="/api/v1/rewards", tags=["rewards"], responses=PROBLEM_RESPONSES)


class TitleCountOut(BaseModel):
    code: str
    name: str
    name_en: str
    awarded: int


class PrizeFiguresOut(BaseModel):
    prize_id: int
    name: str
    kind: str
    requested: int
    issued: int
    collected: int
    cancelled: int
    total: int
    points: int  # spent on it, cancelled ones left out


class SharesOut(BaseModel):
    invited: int  # citizens who came through a share link
    sharers: int  # citizens whose link brought someone


class AssistsOut(BaseModel):
    entries: int
    citizens: int
    points: int


class PointsOut(BaseModel):
    earned: int
    assists: int
    clawed_back: int
    adjusted: int
    spent: int
    refunded: int
    expired: int
    issued: int  # earned + assists − clawed back + adjusted
    redeemed: int  # spent − refunded


class CostOut(BaseModel):
    point_value_fen: int
    issued_fen: int
    redeemed_fen: int


class FiguresOut(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    participants: int
    valid_reports: int
    titles: list[TitleCountOut]
    titles_total: int
    redemptions: list[PrizeFiguresOut]
    redemptions_total: int
    shares: SharesOut
    assists: AssistsOut
    points: PointsOut
    cost: CostOut


FromQ = Annotated[
    date | None,
    Query(alias="from", description="first day (Beijing); default the 1st of `to`'s month"),
]
ToQ = Annotated[date | None, Query(description="last day (Beijing), included; default today")]


@router.get("/figures", response_model=FiguresOut)
def campaign_figures(
    session: SessionDep, now: NowDep, actor: StaffDep, start: FromQ = None, to: ToQ = None
) -> FiguresOut:
    """Participants, valid reports, titles, redemptions by prize and state, shares and assists,
    points issued and redeemed and what they cost, over a span of days."""
    first, last = figures.span(start, to, now)
    f = figures.campaign_figures(session, actor=actor, start=first, end=last)
    value = f.point_value_fen
    return FiguresOut(
        from_=f.start,
        to=f.end,
        participants=f.participants,
        valid_reports=f.valid_reports,
        titles=[TitleCountOut(**t) for t in f.titles],
        titles_total=sum(t["awarded"] for t in f.titles),
        redemptions=[PrizeFiguresOut(**r) for r in f.redemptions],
        redemptions_total=sum(r["total"] - r["cancelled"] for r in f.redemptions),
        shares=SharesOut(**f.shares),
        assists=AssistsOut(**f.assists),
        points=PointsOut(**f.points),
        cost=CostOut(
            point_value_fen=value,
            issued_fen=f.points["issued"] * value,
            redeemed_fen=f.points["redeemed"] * value,
        ),
    )
