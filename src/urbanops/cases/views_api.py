"""Saved views of the console's case list: `GET/POST /api/v1/console/views`,
`PUT/DELETE /api/v1/console/views/{id}` (the owner's only; 404 for anyone else)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from urbanops.cases import views
from urbanops.cases.filters import FILTER_PARAMS
from urbanops.cases.listing import Sort
from urbanops.core.types import IntId, Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/console/views", tags=["console"], responses=PROBLEM_RESPONSES)


class ViewFilters(BaseModel):
    """The case list's query parameters (`GET /api/v1/cases`) a view keeps, and its sort;
    `status` comma-separated. Checked as the list checks them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    town: Line | None = Field(default=None, max_length=9)
    unit: IntId | None = None
    matter: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    status: Line | None = Field(default=None, max_length=300)
    source: Line | None = Field(default=None, max_length=16)
    overdue: bool | None = None
    provisional: bool | None = None
    reported_from: Line | None = Field(default=None, max_length=40)
    reported_to: Line | None = Field(default=None, max_length=40)
    q: Line | None = Field(default=None, max_length=100)
    suspected: bool | None = None
    sort: Sort = Sort.reported_at_desc


assert set(ViewFilters.model_fields) == FILTER_PARAMS | {"sort"}, "a view keeps every filter"


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=views.NAME_MAX)
    filters: ViewFilters
    shared: bool = Field(default=False, description="shown, read-only, to the owner's unit")


class ViewOut(BaseModel):
    id: int
    name: str
    filters: dict[str, Any]
    shared: bool
    mine: bool  # False: shared by another member of the caller's unit
    owner: str
    updated_at: datetime


def _filters(body: ViewIn) -> dict[str, Any]:
    return body.filters.model_dump(mode="json", exclude_none=True)


def _out(view: Any, owner: str, mine: bool) -> ViewOut:
    return ViewOut(
        id=view.id,
        name=view.name,
        filters=view.filters,
        shared=view.shared,
        mine=mine,
        owner=owner,
        updated_at=view.updated_at,
    )


@router.get("", response_model=list[ViewOut])
def list_views(session: SessionDep, actor: StaffDep) -> list[ViewOut]:
    """The caller's saved views, then those shared by others of their unit."""
    return [_out(v, owner, v.owner_id == actor.id) for v, owner in views.list_views(session, actor)]


@router.post("", response_model=ViewOut, status_code=status.HTTP_201_CREATED)
def add_view(session: SessionDep, now: NowDep, actor: StaffDep, body: ViewIn) -> ViewOut:
    """Save a view (at most 50 per user, names unique per user)."""
    view = views.create_view(
        session, actor, now=now, name=body.name, filters=_filters(body), shared=body.shared
    )
    return _out(view, actor.label, True)


@router.put("/{view_id}", response_model=ViewOut)
def replace_view(
    session: SessionDep, now: NowDep, actor: StaffDep, view_id: IntId, body: ViewIn
) -> ViewOut:
    view = views.update_view(
        session,
        actor,
        view_id,
        now=now,
        name=body.name,
        filters=_filters(body),
        shared=body.shared,
    )
    return _out(view, actor.label, True)


@router.delete("/{view_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_view(session: SessionDep, actor: StaffDep, view_id: IntId) -> None:
    views.remove_view(session, actor, view_id)
