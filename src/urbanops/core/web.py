"""Web plumbing shared by all routers: the request session, the clock, the caller's language,
and RFC 9457 problem+json errors (the one place domain errors become HTTP responses)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from urbanops.core.clock import utcnow
from urbanops.core.db import session_factory
from urbanops.core.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T")
PROBLEM = "application/problem+json"
_REQUEST_TRANSACTION = "urbanops.request_transaction"  # in Session.info: opened by get_session


async def get_session() -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns without error.

    Async so that opening and closing the session costs no trip to a worker thread; committing
    or rolling back takes one only when the route left a transaction open (`run_in_transaction`
    leaves none)."""
    async for session in request_session(session_factory()()):
        yield session


async def request_session(session: Session, *, close: bool = True) -> AsyncIterator[Session]:
    """Run a request on `session`: commit when the route returns, roll back when it raises.
    Tests drive their own session (inside a rolled-back outer transaction) through this too,
    with `close=False` so that their objects stay attached: a route that raises after writing
    fails its test exactly as it fails in production."""
    session.info[_REQUEST_TRANSACTION] = True
    try:
        yield session
        await _end_if_open(session, session.commit)
    except BaseException:
        await _end_if_open(session, session.rollback)
        raise
    finally:
        if close:
            await _end_if_open(session, session.close)
            session.close()  # holds no connection any more: no I/O


async def _end_if_open(session: Session, end: Callable[[], None]) -> None:
    """Run `end` in a worker thread if a transaction (and so maybe a connection) is open."""
    if session.in_transaction():
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(end)


async def run_in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run a route's database work in a worker thread and, when the session is the request's
    own (`get_session`), end its transaction in the same call rather than in another one: commit,
    or roll back on error."""
    if not session.info.get(_REQUEST_TRANSACTION):
        return await run_in_threadpool(work)  # a session whose owner commits (tests)

    def run() -> T:
        try:
            result = work()
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return result

    return await run_in_threadpool(run)


async def get_now() -> datetime:
    return utcnow()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]


def wants_english(request: Request) -> bool:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or ""
    if not lang:
        lang = request.headers.get("accept-language", "")
    return lang.lower().startswith("en")


def problem(
    request: Request,
    status: int,
    code: str,
    title_zh: str,
    title_en: str,
    detail_zh: str,
    detail_en: str,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    en = wants_english(request)
    body = {
        **(extra or {}),
        "type": f"https://urbanops.org/problems/{code}",
        "title": title_en if en else title_zh,
        "status": status,
        "detail": detail_en if en else detail_zh,
        "code": code,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("未登录", "Not authenticated"),
    403: ("无权操作", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("方法不允许", "Method not allowed"),
    409: ("状态冲突", "Conflict"),
    413: ("内容过大", "Content too large"),
    415: ("格式不支持", "Unsupported media type"),
    422: ("输入有误", "Invalid input"),
    429: ("请求过于频繁", "Too many requests"),
    503: ("服务暂不可用", "Service unavailable"),
}


def _title(status: int) -> tuple[str, str]:
    return TITLES.get(status, ("错误", "Error"))


_FIELD_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不接受的字段",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "string_pattern_mismatch": "格式不正确",
    "float_parsing": "须为数字",
    "int_parsing": "须为整数",
    "enum": "取值不在允许范围内",
    "json_invalid": "JSON 格式错误",
    "finite_number": "须为有限数值",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        t_zh, t_en = _title(exc.status)
        return problem(
            request, exc.status, exc.code, t_zh, t_en, exc.message, exc.message_en, exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            errors.append(
                {
                    "field": ".".join(loc),
                    "type": err.get("type"),
                    "message": _FIELD_MESSAGES.get(str(err.get("type")), "输入无效"),
                    "message_en": err.get("msg"),
                }
            )
        fields = "、".join(e["field"] or "请求体" for e in errors)
        return problem(
            request,
            422,
            "invalid_input",
            "输入有误",
            "Invalid input",
            f"请检查：{fields}",
            "; ".join(f"{e['field']}: {e['message_en']}" for e in errors),
            {"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        t_zh, t_en = _title(exc.status_code)
        detail = str(exc.detail) if exc.detail else t_en
        return problem(
            request, exc.status_code, f"http_{exc.status_code}", t_zh, t_en, t_zh, detail
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return problem(
            request,
            409,
            "conflict",
            "状态冲突",
            "Conflict",
            "数据与现有记录冲突，未作任何更改，请刷新后重试",
            "the change conflicts with existing data; nothing was changed",
        )

    @app.exception_handler(OperationalError)
    async def db_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return problem(
            request,
            503,
            "database_unavailable",
            "服务暂不可用",
            "Service unavailable",
            "数据库暂不可用，请稍后重试",
            "the database is unavailable; try again later",
        )
