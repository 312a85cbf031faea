"""Resolving the caller of a request: staff (bearer token, or the page session cookie), a system
(API key) or a citizen.

A staff page's cookie (`uo_staff`, HttpOnly, SameSite=Strict) is only honoured for a state
change when the request carries no `Origin`, or the page's own: a browser never sends a Strict
cookie from another site, and the check keeps it so should a proxy or an old browser not."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from urbanops.core.clock import utcnow
from urbanops.core.errors import NotAuthenticated, PermissionDenied
from urbanops.core.web import NowDep, SessionDep
from urbanops.identity import citizens, service, staff
from urbanops.identity.models import Citizen, User
from urbanops.identity.roles import Actor

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1].rstrip("/") == request.headers.get("host", "")


def staff_user(request: Request, session: SessionDep, now: datetime, token: str | None) -> User:
    """The staff account behind a bearer token, else behind the page session cookie."""
    if token:
        return service.user_from_token(session, token)
    cookie = request.cookies.get(staff.STAFF_COOKIE)
    if not cookie:
        raise NotAuthenticated("请先登录", code="not_authenticated", message_en="log in first")
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise PermissionDenied(
            "拒绝来自其他站点的请求",
            code="cross_site_request",
            message_en="a request from another site was refused",
        )
    return staff.user_from_session(session, cookie, now)


def current_user(
    request: Request,
    session: SessionDep,
    now: NowDep,
    token: Annotated[str | None, Depends(oauth2)],
) -> User:
    return staff_user(request, session, now, token)


def current_staff(user: Annotated[User, Depends(current_user)]) -> Actor:
    return service.actor_for_user(user)


StaffDep = Annotated[Actor, Depends(current_staff)]


class Caller:
    """A staff member or another system (API key in `X-API-Key`)."""

    def __init__(self, actor: Actor, api_key_id: int | None = None) -> None:
        self.actor, self.api_key_id = actor, api_key_id


def current_caller(
    request: Request,
    session: SessionDep,
    now: NowDep,
    token: Annotated[str | None, Depends(oauth2)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Caller:
    if x_api_key:
        found = service.api_key_actor(session, x_api_key)
        if found is None:
            raise NotAuthenticated(
                "API 密钥无效", code="invalid_api_key", message_en="invalid API key"
            )
        return Caller(found[1], found[0])
    if token or request.cookies.get(staff.STAFF_COOKIE):
        return Caller(service.actor_for_user(staff_user(request, session, now, token)))
    raise NotAuthenticated(
        "请登录或提供 API 密钥", code="not_authenticated", message_en="log in or send X-API-Key"
    )


CallerDep = Annotated[Caller, Depends(current_caller)]


CITIZEN_COOKIE = "uo_citizen"


def current_citizen(
    request: Request, session: SessionDep, x_citizen_token: Annotated[str | None, Header()] = None
) -> Citizen:
    token = x_citizen_token or request.cookies.get(CITIZEN_COOKIE)
    if not token:
        raise NotAuthenticated(
            "请先用手机号登录",
            code="citizen_not_signed_in",
            message_en="sign in with your phone first",
        )
    return citizens.citizen_from_token(session, token, utcnow())


CitizenDep = Annotated[Citizen, Depends(current_citizen)]
