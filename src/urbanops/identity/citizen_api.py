"""The citizen app's account routes (全莞拍): a sign-in code by SMS, the session cookie, the
citizen's own profile. Reports and cases are in `urbanops.reports.citizen_api`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from urbanops.core.security import cookie_secure
from urbanops.core.settings import get_settings
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep, problem
from urbanops.identity import citizens
from urbanops.identity.deps import CITIZEN_COOKIE, CitizenDep
from urbanops.identity.schemas import CodeIn, CodeOut, ProfileIn, ProfileOut, SignInIn
from urbanops.rewards import profiles

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cookie_options() -> dict[str, Any]:
    return {
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": cookie_secure(get_settings()),
    }


@router.post("/otp", response_model=CodeOut)
def ask_code(session: SessionDep, now: NowDep, body: CodeIn, request: Request) -> CodeOut:
    issued = citizens.request_code(session, phone=body.phone, ip=_client_ip(request), now=now)
    return CodeOut(expires_at=issued.expires_at, demo_code=issued.demo_code)


@router.post("/session", response_model=ProfileOut)
def sign_in(
    session: SessionDep, now: NowDep, body: SignInIn, request: Request, response: Response
) -> Any:
    result = citizens.sign_in(session, phone=body.phone, code=body.code, now=now)
    if result.error is not None:
        # the failed attempt is counted: return (and commit) rather than raise (and roll back)
        e = result.error
        return problem(
            request, e.status, e.code, "未登录", "Not signed in", e.message, e.message_en, e.extra
        )
    assert result.citizen is not None and result.token is not None
    if result.created and body.ref:
        profiles.record_invite(session, citizen_id=result.citizen.id, ref=body.ref, now=now)
    response.set_cookie(
        CITIZEN_COOKIE,
        result.token,
        max_age=get_settings().auth.citizen_session_days * 86400,
        **_cookie_options(),
    )
    return ProfileOut.of(result.citizen)


@router.delete("/session", status_code=204)
def sign_out(session: SessionDep, request: Request) -> Response:
    token = request.cookies.get(CITIZEN_COOKIE)
    if token:
        citizens.sign_out(session, token)
    response = Response(status_code=204)
    response.delete_cookie(CITIZEN_COOKIE, **_cookie_options())
    return response


@router.get("/me", response_model=ProfileOut)
def me(citizen: CitizenDep) -> ProfileOut:
    return ProfileOut.of(citizen)


@router.patch("/me", response_model=ProfileOut)
def update_me(session: SessionDep, citizen: CitizenDep, body: ProfileIn) -> ProfileOut:
    citizens.update_profile(
        session,
        citizen,
        nickname=body.nickname,
        home_town_code=body.home_town_code,
        language=body.language,
    )
    return ProfileOut.of(citizen)
