"""Catalogue routes: matters (with time limits), categories, suggestions for text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from urbanops.catalogue import service
from urbanops.core.types import Line, Text
from urbanops.core.web import PROBLEM_RESPONSES, SessionDep
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
