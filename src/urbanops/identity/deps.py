"""Resolving the caller of a request: staff (bearer token), a system (API key) or a citizen."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from urbanops.core.clock import utcnow
from urbanops.core.errors import NotAuthenticated
from urbanops.core.web import SessionDep
from urbanops.identity import citizens, service
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Actor

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_staff(session: SessionDep, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    if not token:
        raise NotAuthenticated("请先登录", code="not_authenticated", message_en="log in first")
    return service.actor_for_user(service.user_from_token(session, token))


StaffDep = Annotated[Actor, Depends(current_staff)]


class Caller:
    """A staff member or another system (API key in `X-API-Key`)."""

    def __init__(self, actor: Actor, api_key_id: int | None = None) -> None:
        self.actor, self.api_key_id = actor, api_key_id


def current_caller(
    request: Request,
    session: SessionDep,
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
    if token:
        return Caller(service.actor_for_user(service.user_from_token(session, token)))
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
