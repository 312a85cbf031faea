"""Open311 GeoReport v2 routes under `/open311/v2/`, each in XML and JSON by suffix.

Errors here are Open311 documents only (400, 403, 404; 405 for a wrong method), never the
platform's problem+json: the routes use `Open311Route`, which answers every exception raised
while serving them (domain errors, malformed input, database errors) in the Open311 format,
after the request's transaction has been rolled back. Parameters are read by hand
(`urbanops.open311.params`) so that the framework's own validation never answers.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from urbanops.core.errors import DomainError
from urbanops.core.web import NowDep, SessionDep, log_unexpected
from urbanops.identity import service as identity
from urbanops.open311 import params, queries
from urbanops.open311 import service as svc
from urbanops.open311.formats import (
    error_response,
    format_of_path,
    internal_error_document,
    parse_format,
    render,
    responses,
)

log = logging.getLogger(__name__)
BASE = "/open311/v2"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _description(zh: str, en: str) -> str:
    return zh if not en or en == zh else f"{zh} / {en}"


def _status(status: int) -> int:
    """Open311 knows 403 (key), 404 (not found) and 400 (anything else the client can fix)."""
    if status in (401, 403):
        return 403
    if status in (404, 405) or status >= 500:
        return status
    return 400


def open311_error(request: Request, exc: Exception) -> Response:
    """Any exception raised while serving an Open311 route, as an Open311 error document."""
    fmt = format_of_path(request.url.path)
    headers = None
    if isinstance(exc, DomainError):
        status, text = _status(exc.status), _description(exc.message, exc.message_en)
    elif isinstance(exc, RequestValidationError | ValidationError):
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        status, text = 400, _description(f"参数无效：{fields}", f"invalid parameters: {fields}")
    elif isinstance(exc, StarletteHTTPException):
        status, text = _status(exc.status_code), _description("请求无效", str(exc.detail))
        headers = exc.headers
    elif isinstance(exc, IntegrityError):
        log.warning("open311 integrity error: %s", exc.orig)
        status, text = (
            400,
            _description(
                "数据与现有记录冲突，未作任何更改，请重试",
                "the change conflicts with existing data; nothing was changed",
            ),
        )
    elif isinstance(exc, DataError):
        # the last line of defence: `params` checks inputs to the database's limits
        log.warning("open311 data error: %s", exc.orig)
        status, text = (
            400,
            _description(
                "参数值超出允许范围或含有无法保存的字符，未作任何更改",
                "a value is out of range or holds characters that cannot be stored",
            ),
        )
    elif isinstance(exc, OperationalError):
        log.error("open311: database unavailable: %s", exc.orig)
        status, text = (
            503,
            _description("服务暂不可用，请稍后重试", "service unavailable; try again later"),
        )
    else:
        error_id = log_unexpected(f"{request.method} {request.url.path}", exc)
        return internal_error_document(request.url.path, error_id)
    return error_response(fmt, status, text, headers)


EXCEPTION_HANDLERS: dict[Any, Any] = {Exception: open311_error}


class Open311Route(APIRoute):
    """Serves a route with `open311_error` as its only exception handler: Starlette's request
    handler takes the handlers from the scope, so the app's problem+json handlers never see an
    Open311 request, and errors are answered after the session dependency has rolled back."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = {**scope, "starlette.exception_handlers": (EXCEPTION_HANDLERS, {})}
        await super().handle(scope, receive, send)


router = APIRouter(route_class=Open311Route, tags=["open311"])
FormDep = Annotated[dict[str, list[str]], Depends(params.read_form)]


def _query(request: Request) -> dict[str, list[str]]:
    return params.collect(request.query_params.multi_items())


def _base(request: Request) -> str:
    return str(request.base_url)


@router.get(
    f"{BASE}/discovery.{{fmt}}",
    summary="Open311 service discovery",
    responses=responses("the endpoints of this server"),
)
def discovery(request: Request, fmt: str) -> Response:
    return render(parse_format(fmt), "discovery", None, queries.discovery(_base(request)))


@router.get(
    f"{BASE}/services.{{fmt}}",
    summary="Open311 services: the matters of the catalogue",
    responses=responses("the services"),
)
def services(session: SessionDep, fmt: str) -> Response:
    f = parse_format(fmt)
    return render(f, "services", "service", queries.services(session))


@router.get(
    f"{BASE}/services/{{service_code}}.{{fmt}}",
    summary="Open311 service definition",
    responses=responses("the service's attributes"),
)
def service_definition(session: SessionDep, service_code: str, fmt: str) -> Response:
    f = parse_format(fmt)
    code = params.service_code(service_code)
    return render(f, "service_definition", None, queries.definition(session, code))


@router.post(
    f"{BASE}/requests.{{fmt}}",
    summary="Open311: create a service request",
    responses=responses("the id of the new request"),
)
def create_request(session: SessionDep, now: NowDep, form: FormDep, fmt: str) -> Response:
    """Form-encoded (UTF-8): `api_key`, `service_code`, `lat`+`long` (WGS-84, or another datum
    named by `attribute[datum]`), `description`, `media_url`, `attribute[code]`, submitter."""
    f = parse_format(fmt)
    found = identity.api_key_actor(session, params.api_key(form))
    if found is None:
        raise params.invalid_api_key()
    key_id, actor = found
    created = svc.create_request(
        session, actor=actor, api_key_id=key_id, now=now, new=params.new_request(form)
    )
    session.flush()
    return render(f, "service_requests", "request", [created])


@router.get(
    f"{BASE}/requests.{{fmt}}",
    summary="Open311: query service requests",
    responses=responses("the requests found"),
)
def find_requests(request: Request, session: SessionDep, now: NowDep, fmt: str) -> Response:
    f = parse_format(fmt)
    query = params.request_query(_query(request), now)
    found = queries.find_requests(session, query, base_url=_base(request))
    return render(f, "service_requests", "request", found)


@router.get(
    f"{BASE}/requests/{{service_request_id}}.{{fmt}}",
    summary="Open311: one service request",
    responses=responses("the request"),
)
def get_request(
    request: Request, session: SessionDep, service_request_id: str, fmt: str
) -> Response:
    f = parse_format(fmt)
    request_id = params.request_id(service_request_id)
    found = queries.get_request(session, request_id, base_url=_base(request))
    return render(f, "service_requests", "request", [found])


@router.get(
    f"{BASE}/servicerequestupdates.{{fmt}}",
    summary="Open311 (mySociety): request updates",
    responses=responses("the updates found"),
)
def request_updates(request: Request, session: SessionDep, now: NowDep, fmt: str) -> Response:
    f = parse_format(fmt)
    query = params.update_query(_query(request), now)
    return render(
        f,
        "service_request_updates",
        "request_update",
        queries.find_updates(session, query, base_url=_base(request)),
    )


@router.api_route("/open311{rest:path}", methods=METHODS, include_in_schema=False)
def not_found(request: Request) -> Response:
    """Anything else under /open311: 405 where another method would be served, else 404."""
    allowed: set[str] = set()
    for route in router.routes:
        if isinstance(route, APIRoute) and route.endpoint is not not_found:
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL:
                allowed |= route.methods or set()
    fmt = format_of_path(request.url.path)
    if allowed:
        methods = ", ".join(sorted(allowed))
        return error_response(
            fmt,
            405,
            _description(
                f"不支持 {request.method} 方法，可用：{methods}",
                f"method {request.method} not allowed; use {methods}",
            ),
            headers={"Allow": methods},
        )
    return error_response(
        fmt, 404, _description("未找到该 Open311 资源", "no such Open311 resource")
    )
