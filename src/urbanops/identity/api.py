"""Staff sign-in: the OAuth2 password flow for the API (a bearer token), the page session
(an HttpOnly cookie), changing one's password, and the caller's own profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from urbanops.areas.models import Town, Unit
from urbanops.cases import queries
from urbanops.core.errors import DomainError, NotAuthenticated, RateLimited, ServiceBusy
from urbanops.core.security import cookie_secure
from urbanops.core.settings import get_settings
from urbanops.core.types import DbId, Text
from urbanops.core.web import (
    PROBLEM_RESPONSES,
    TITLES,
    NowDep,
    SessionDep,
    problem,
    run_in_transaction,
)
from urbanops.identity import service, staff
from urbanops.identity.deps import StaffDep, current_user
from urbanops.identity.models import User
from urbanops.identity.roles import ROLE_LABELS, Role

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=PROBLEM_RESPONSES)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class RoleOut(BaseModel):
    code: str
    label: str
    label_en: str


class MeOut(BaseModel):
    id: int | None
    username: str | None = None
    name: str
    roles: list[str]
    role_labels: list[RoleOut] = []
    unit_id: int | None
    unit_code: str | None = None
    unit_name: str | None = None
    town_code: str | None = None
    town_name: str | None = None
    communities: list[str] = []
    grid_cells: list[str] = []
    must_change_password: bool = False


class SessionIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class PasswordIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


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
    user = await _authenticate(request, session, now, form.username, form.password)
    if isinstance(user, JSONResponse):
        return user
    token, ttl = service.issue_token(user, now)
    return TokenOut(access_token=token, expires_in=ttl)


async def _authenticate(
    request: Request, session: Session, now: Any, username: str, password: str
) -> User | JSONResponse:
    """The account `username` / `password` name, or the refusal to answer with. Each step
    commits before the route answers, so that failed attempts are kept."""
    ip = request.client.host if request.client else "unknown"
    try:
        start = await run_in_transaction(
            session, lambda: service.begin_login(session, username=username, ip=ip, now=now)
        )
    except RateLimited as exc:  # refused before anything was written
        return _refusal(request, exc)
    if start.refused is not None:
        return _refusal(request, start.refused)
    try:
        ok = await service.check_password(start.password_hash, password)
    except ServiceBusy as exc:  # the attempt stays recorded as failed
        return _refusal(request, exc)
    end = await run_in_transaction(
        session, lambda: service.finish_login(session, start, ok=ok, now=now)
    )
    if end.error is not None:
        return _refusal(request, end.error)
    assert end.user is not None
    return end.user


def _cookie_options() -> dict[str, Any]:
    return {
        "path": "/",
        "httponly": True,
        "samesite": "strict",
        "secure": cookie_secure(get_settings()),
    }


_LOGIN_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "用户名或密码错误 / wrong username or password", **_PROBLEM},
    429: {"description": "账号已锁定或尝试过多 / locked or too many attempts", **_PROBLEM},
    503: {"description": "登录繁忙 / too many logins at once", **_PROBLEM},
}


@router.post("/auth/session", response_model=MeOut, responses=_LOGIN_REFUSALS)
async def open_page_session(
    request: Request, session: SessionDep, now: NowDep, body: SessionIn
) -> Any:
    """Sign a staff page in: the same checks, lockout and limits as `POST /auth/token`; the
    answer sets the `uo_staff` cookie (HttpOnly, SameSite=Strict) and holds the profile."""
    user = await _authenticate(request, session, now, body.username, body.password)
    if isinstance(user, JSONResponse):
        return user
    token, ttl = await run_in_transaction(session, lambda: staff.open_session(session, user, now))
    response = JSONResponse(_profile(session, user).model_dump(mode="json"))
    response.set_cookie(staff.STAFF_COOKIE, token, max_age=ttl, **_cookie_options())
    return response


@router.delete("/auth/session", status_code=204)
def close_page_session(session: SessionDep, request: Request) -> Response:
    """Sign a staff page out: its session ends at once (the cookie alone is not trusted)."""
    cookie = request.cookies.get(staff.STAFF_COOKIE)
    if cookie:
        staff.close_session(session, cookie)
    response = Response(status_code=204)
    response.delete_cookie(staff.STAFF_COOKIE, **_cookie_options())
    return response


@router.post("/auth/password", response_model=TokenOut, responses=_LOGIN_REFUSALS)
async def change_own_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: Annotated[User, Depends(current_user)],
    body: PasswordIn,
) -> Any:
    """Change one's own password (the old one is checked like a login, and counts as one): the
    policy applies, every other session and token ends, and a new token (and, for a page, a
    new session cookie) is handed back."""
    checked = await _authenticate(request, session, now, user.username, body.old_password)
    if isinstance(checked, JSONResponse):
        return checked

    def change() -> tuple[str, int, str | None]:
        account = session.get(User, user.id)
        if account is None:
            raise NotAuthenticated("请先登录", code="not_authenticated", message_en="log in first")
        staff.change_password(session, account, new_password=body.new_password, now=now)
        cookie = None
        if request.cookies.get(staff.STAFF_COOKIE):
            cookie, _ = staff.open_session(session, account, now)
        token, ttl = service.issue_token(account, account.password_changed_at or now)
        return token, ttl, cookie

    token, ttl, cookie = await run_in_transaction(session, change)
    response = JSONResponse(TokenOut(access_token=token, expires_in=ttl).model_dump())
    if cookie is not None:
        response.set_cookie(staff.STAFF_COOKIE, cookie, max_age=ttl, **_cookie_options())
    return response


def _profile(session: Session, user: User) -> MeOut:
    unit = session.get(Unit, user.unit_id) if user.unit_id is not None else None
    town = session.get(Town, unit.town_code) if unit is not None and unit.town_code else None
    roles = sorted(user.roles)
    return MeOut(
        id=user.id,
        username=user.username,
        name=user.display_name,
        roles=roles,
        role_labels=[
            RoleOut(code=r, label=ROLE_LABELS[Role(r)][0], label_en=ROLE_LABELS[Role(r)][1])
            for r in roles
            if r in Role.__members__
        ],
        unit_id=user.unit_id,
        unit_code=unit.code if unit is not None else None,
        unit_name=unit.name if unit is not None else None,
        town_code=town.code if town is not None else None,
        town_name=town.name if town is not None else None,
        communities=sorted(user.communities or ()),
        grid_cells=sorted(user.grid_cells or ()),
        must_change_password=user.must_change_password,
    )


@router.get("/me", response_model=MeOut)
def me(session: SessionDep, user: Annotated[User, Depends(current_user)]) -> MeOut:
    """The signed-in account: roles with their labels, unit and town, an area chief's
    communities, and whether the password must be changed before work."""
    return _profile(session, user)


class RevealIn(BaseModel):
    case_id: DbId  # the case the citizen reported, which the caller may read
    reason: Text = Field(min_length=1, max_length=200)


class RevealOut(BaseModel):
    citizen_id: int
    phone: str


@router.post("/citizens/{citizen_id}/reveal-phone", response_model=RevealOut)
def reveal_phone(
    session: SessionDep, now: NowDep, actor: StaffDep, citizen_id: DbId, body: RevealIn
) -> RevealOut:
    """The full phone number of a citizen who reported the case `case_id`: needs the
    `reveal_phone` permission and the case in the caller's scope; every look is logged."""
    phone = queries.reveal_reporter_phone(
        session,
        actor,
        now=now,
        case_id=body.case_id,
        citizen_id=citizen_id,
        reason=body.reason,
    )
    return RevealOut(citizen_id=citizen_id, phone=phone)
