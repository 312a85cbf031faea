"""Reply template routes: read by every case worker, written by the shift chief and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from urbanops.cases import replies
from urbanops.core.types import IntId, Line, Text
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/reply-templates", tags=["cases"], responses=PROBLEM_RESPONSES)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    matter_code: str | None  # None: every matter
    status: str | None  # None: every status
    title: str
    body: str


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=1, max_length=60)
    body: Text = Field(min_length=1, max_length=2000)
    matter_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    status: Line | None = Field(default=None, max_length=24)


@router.get("", response_model=list[TemplateOut])
def list_templates(
    session: SessionDep,
    actor: StaffDep,
    matter_code: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    status: Annotated[Line | None, Query(max_length=24)] = None,
) -> list[TemplateOut]:
    """The templates for a case of this matter in this status, the most specific first."""
    rows = replies.templates_for(session, actor, matter_code=matter_code, status=status)
    return [TemplateOut.model_validate(r) for r in rows]


@router.post("", response_model=TemplateOut, status_code=status.HTTP_201_CREATED)
def add_template(
    session: SessionDep, now: NowDep, actor: StaffDep, body: TemplateIn
) -> TemplateOut:
    row = replies.add_template(session, actor, now=now, **body.model_dump())
    return TemplateOut.model_validate(row)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_template(session: SessionDep, actor: StaffDep, template_id: IntId) -> None:
    replies.remove_template(session, actor, template_id)
