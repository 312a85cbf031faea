"""Staff login (OAuth2 password flow) and the caller's own profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from urbanops.core.web import NowDep, SessionDep
from urbanops.identity import service
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
