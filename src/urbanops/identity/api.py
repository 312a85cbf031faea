"""Staff login (OAuth2 password flow) and the caller's own profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from urbanops.core.web import NowDep, SessionDep
from urbanops.identity import citizens, service
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    id: int | None
    name: str
    roles: list[str]
    unit_id: int | None


@router.post("/auth/token", response_model=TokenOut)
def login(
    session: SessionDep, now: NowDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    user = service.authenticate(session, form.username, form.password)
    token, ttl = service.issue_token(user, now)
    return TokenOut(access_token=token, expires_in=ttl)


@router.get("/me", response_model=MeOut)
def me(actor: StaffDep) -> MeOut:
    return MeOut(id=actor.id, name=actor.label, roles=sorted(actor.roles), unit_id=actor.unit_id)


class RevealIn(BaseModel):
    case_id: int | None = None
    reason: str = Field(min_length=1, max_length=200)


class RevealOut(BaseModel):
    citizen_id: int
    phone: str


@router.post("/citizens/{citizen_id}/reveal-phone", response_model=RevealOut)
def reveal_phone(
    session: SessionDep, now: NowDep, actor: StaffDep, citizen_id: int, body: RevealIn
) -> RevealOut:
    """A citizen's full phone number: needs the `reveal_phone` permission; every look is logged."""
    phone = citizens.reveal_phone(
        session,
        actor=actor,
        now=now,
        citizen_id=citizen_id,
        case_id=body.case_id,
        reason=body.reason,
    )
    return RevealOut(citizen_id=citizen_id, phone=phone)
