"""Staff login (OAuth2 password flow) and the caller's own profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from urbanops.core.errors import DomainError, RateLimited, ServiceBusy
from urbanops.core.types import DbId, Text
from urbanops.core.web import (
    PROBLEM_RESPONSES,
    TITLES,
    NowDep,
    SessionDep,
    problem,
    run_in_transaction,
)
from urbanops.identity import citizens, service
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=PROBLEM_RESPONSES)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    id: int | None
    name: str
    roles: list[str]
    unit_id: int | None


def _refusal(request: Request, error: DomainError) -> JSONResponse:
    """The answer to a refused login, with `Retry-After` when waiting helps."""
    title_zh, title_en = TITLES.get(error.status, ("错误", "Error"))
    response = problem(
        request,
        error.status,
        error.code,
        title_zh,
        title_en,
        error.message,
        error.message_en,
        error.extra,
    )
    retry_after = error.extra.get("retry_after")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={
        401: {"description": "用户名或密码错误 / wrong username or password", **_PROBLEM},
        429: {
            "description": "账号已锁定，或本地址失败次数过多（见 Retry-After）/ account locked, "
            "or too many failed logins from this address (see Retry-After)",
            **_PROBLEM,
        },
        503: {"description": "登录繁忙 / too many logins at once", **_PROBLEM},
    },
)
async def login(
    request: Request,
    session: SessionDep,
    now: NowDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    """Staff login (OAuth2 password flow). After `auth.login_max_failures` wrong passwords in a
    row the account is locked for `auth.login_lockout_minutes` (429 `account_locked`, even with
    the right password); one address may fail `auth.login_per_ip_per_minute` times a minute
    (429 `login_rate_limited`, with `Retry-After`). Every attempt is recorded."""
    # each step commits before the route answers, so failed attempts are kept
    ip = request.client.host if request.client else "unknown"
    try:
        start = await run_in_transaction(
            session,
            lambda: service.begin_login(session, username=form.username, ip=ip, now=now),
        )
    except RateLimited as exc:  # refused before anything was written
        return _refusal(request, exc)
    if start.refused is not None:
        return _refusal(request, start.refused)
    try:
        ok = await service.check_password(start.password_hash, form.password)
    except ServiceBusy as exc:  # the attempt stays recorded as failed
        return _refusal(request, exc)
    end = await run_in_transaction(
        session, lambda: service.finish_login(session, start, ok=ok, now=now)
    )
    if end.error is not None:
        return _refusal(request, end.error)
    assert end.user is not None
    token, ttl = service.issue_token(end.user, now)
    return TokenOut(access_token=token, expires_in=ttl)


@router.get("/me", response_model=MeOut)
def me(actor: StaffDep) -> MeOut:
    return MeOut(id=actor.id, name=actor.label, roles=sorted(actor.roles), unit_id=actor.unit_id)


class RevealIn(BaseModel):
    case_id: DbId | None = None
    reason: Text = Field(min_length=1, max_length=200)


class RevealOut(BaseModel):
    citizen_id: int
    phone: str


@router.post("/citizens/{citizen_id}/reveal-phone", response_model=RevealOut)
def reveal_phone(
    session: SessionDep, now: NowDep, actor: StaffDep, citizen_id: DbId, body: RevealIn
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
