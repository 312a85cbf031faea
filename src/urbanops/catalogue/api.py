"""Catalogue routes: matters (with time limits), categories, suggestions for text, and the
channels other than urban management (listed for staff, edited by admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from urbanops.catalogue import channels, service
from urbanops.core.types import Line, Text
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.reports.suggest import suggest

router = APIRouter(prefix="/api/v1", tags=["catalogue"], responses=PROBLEM_RESPONSES)


class MatterOut(BaseModel):
    code: str
    name: str
    class_code: str
    class_name: str


class CategoryOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    icon: str
    matters: list[str]


class SuggestionOut(BaseModel):
    matter_code: str
    matter_name: str
    confidence: float


@router.get("/matters", response_model=list[MatterOut])
def matters(session: SessionDep) -> list[MatterOut]:
    snap = service.snapshot(session)
    return [
        MatterOut(code=m.code, name=m.name, class_code=m.class_code, class_name=m.class_name)
        for m in sorted(snap.matters.values(), key=lambda m: m.code)
    ]


@router.get("/categories", response_model=list[CategoryOut])
def categories(session: SessionDep) -> list[CategoryOut]:
    return [
        CategoryOut(
            code=c.code, name_zh=c.name_zh, name_en=c.name_en, icon=c.icon, matters=list(c.matters)
        )
        for c in service.snapshot(session).categories.values()
    ]


@router.get("/suggestions", response_model=list[SuggestionOut])
def suggestions(
    session: SessionDep,
    text: Annotated[Text, Query(max_length=4000)],
    category_code: Annotated[Line | None, Query(max_length=32)] = None,
    k: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[SuggestionOut]:
    return [
        SuggestionOut(**s.__dict__)
        for s in suggest(session, text, category_code=category_code, k=k)
    ]


class ChannelOut(BaseModel):
    """A channel other than urban management (转办渠道) and the reply its citizens are given."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    reply_zh: str
    reply_en: str
    position: int
    is_active: bool


class ChannelIn(BaseModel):
    """The fields of a channel to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_zh: Line | None = Field(default=None, max_length=64)
    name_en: Line | None = Field(default=None, max_length=64)
    reply_zh: Text | None = Field(default=None, max_length=2000)
    reply_en: Text | None = Field(default=None, max_length=2000)
    is_active: bool | None = None


ChannelCode = Annotated[Line, Path(max_length=16, description="the channel's code")]


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(session: SessionDep, actor: StaffDep) -> list[ChannelOut]:
    """Every channel, active or not, in the order clerks are offered them."""
    return [ChannelOut.model_validate(c) for c in channels.list_channels(session, actor=actor)]


@router.put("/channels/{code}", response_model=ChannelOut)
def update_channel(
    session: SessionDep, actor: StaffDep, now: NowDep, code: ChannelCode, body: ChannelIn
) -> ChannelOut:
    """Change a channel's names, replies or whether it is offered (admins only; audited)."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    row = channels.update_channel(session, actor=actor, now=now, code=code, changes=changes)
    return ChannelOut.model_validate(row)
