"""Web plumbing shared by all routers: the request session, the clock, the caller's language,
and RFC 9457 problem+json errors (the one place domain errors become HTTP responses)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
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
    async with request_session(session_factory()()) as session:
        yield session


@asynccontextmanager
async def request_session(session: Session, *, close: bool = True) -> AsyncIterator[Session]:
    """Run a request on `session`: commit when the route returns, roll back when it raises.
    Tests drive their own session (inside a rolled-back outer transaction) through this too,
    with `close=False` so that their objects stay attached: a route that raises after writing
    fails its test exactly as it fails in production. A context manager, not a generator to
    iterate: a failing route's exception reaches it at once, so the rollback runs before the
    answer is sent (an abandoned inner generator would be closed later by the garbage collector,
    racing the next request)."""
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


def _utf8(value: Any) -> Any:
    """Strings (keys too) that UTF-8 can carry: lone surrogates, which JSON input may hold
    and a message may echo, become U+FFFD rather than failing the response."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_utf8(v) for v in value]
    return value


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
    return JSONResponse(_utf8(body), status_code=status, media_type=PROBLEM)


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
    500: ("服务器内部错误", "Internal server error"),
    503: ("服务暂不可用", "Service unavailable"),
}


def _title(status: int) -> tuple[str, str]:
    return TITLES.get(status, ("错误", "Error"))


# --- the problem documents in the OpenAPI description ------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable, `detail` in the caller's language",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "error_id": {"type": "string", "description": "500 only: the id of the log entry"},
        "errors": {
            "type": "array",
            "description": "422 from validation: one entry per field",
            "items": {
                "type": "object",
                "required": ["field", "label", "label_en", "type", "message", "message_en"],
                "properties": {
                    "field": {"type": "string", "description": "the field's name in the API"},
                    "label": {"type": "string", "description": "the field in words (zh)"},
                    "label_en": {"type": "string", "description": "the field in words (en)"},
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                    "message_en": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("请求有误 / bad request"),
    401: _problem_response("未登录 / not authenticated"),
    403: _problem_response("无权操作 / forbidden"),
    404: _problem_response("未找到 / not found"),
    409: _problem_response("状态冲突 / conflict"),
    413: _problem_response("内容过大 / content too large"),
    422: _problem_response("输入有误（逐项说明）/ invalid input, field by field"),
    429: _problem_response("请求过于频繁 / too many requests"),
    500: _problem_response("服务器内部错误（附错误编号）/ internal error, with its error id"),
    503: _problem_response("服务暂不可用 / service unavailable"),
}
"""The problem+json answers a route may give: `APIRouter(..., responses=PROBLEM_RESPONSES)`."""


# --- validation errors, field by field, in words -------------------------------------------------

# the error types of pydantic (and of `urbanops.core.types`) in short words: (zh, en)
_FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("缺少必填项", "required"),
    "extra_forbidden": ("不接受的字段", "not accepted"),
    "greater_than": ("数值过小", "too small"),
    "greater_than_equal": ("数值过小", "too small"),
    "less_than": ("数值过大", "too large"),
    "less_than_equal": ("数值过大", "too large"),
    "string_too_long": ("内容过长", "too long"),
    "string_too_short": ("内容过短", "too short"),
    "too_long": ("项数过多", "too many items"),
    "too_short": ("项数过少", "too few items"),
    "string_pattern_mismatch": ("格式不正确", "wrong format"),
    "string_type": ("须为文字", "must be text"),
    "string_unicode": ("须为有效的文字", "must be valid text"),
    "float_parsing": ("须为数字", "must be a number"),
    "float_type": ("须为数字", "must be a number"),
    "finite_number": ("须为有限数值", "must be a finite number"),
    "int_parsing": ("须为整数", "must be a whole number"),
    "int_type": ("须为整数", "must be a whole number"),
    "int_from_float": ("须为整数", "must be a whole number"),
    "int_parsing_size": ("数值过大", "too large"),
    "bool_parsing": ("须为是或否", "must be true or false"),
    "bool_type": ("须为是或否", "must be true or false"),
    "enum": ("取值不在允许范围内", "not one of the allowed values"),
    "literal_error": ("取值不在允许范围内", "not one of the allowed values"),
    "list_type": ("须为列表", "must be a list"),
    "dict_type": ("须为对象", "must be an object"),
    "model_type": ("须为对象", "must be an object"),
    "model_attributes_type": ("须为对象", "must be an object"),
    "json_invalid": ("JSON 格式错误", "invalid JSON"),
    "json_type": ("须为 JSON", "must be JSON"),
    "datetime_parsing": ("不是有效的日期时间", "not a valid date and time"),
    "datetime_type": ("不是有效的日期时间", "not a valid date and time"),
    "datetime_from_date_parsing": ("不是有效的日期时间", "not a valid date and time"),
    "datetime_object_invalid": ("不是有效的日期时间", "not a valid date and time"),
    "date_parsing": ("不是有效的日期", "not a valid date"),
    "date_from_datetime_parsing": ("不是有效的日期", "not a valid date"),
    "timezone_aware": ("须带时区", "must include a time zone"),
    "datetime_out_of_range": ("日期超出允许范围", "date out of range"),
    "control_character": ("含有不允许的控制字符", "holds a control character"),
    "value_error": ("取值无效", "invalid value"),
    "url_parsing": ("不是有效的链接", "not a valid URL"),
    "url_scheme": ("链接协议不支持", "URL scheme not allowed"),
    "url_type": ("不是有效的链接", "not a valid URL"),
    "uuid_parsing": ("不是有效的编号", "not a valid id"),
}

# the fields of the API in words: (zh, en); looked up by the last name in the error's location
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "": ("请求体", "request body"),
    "reason": ("原因", "reason"),
    "channel": ("转办渠道", "channel"),
    "reply": ("答复市民", "reply to the citizen"),
    "suspected": ("疑似非城管事项", "suspected out of remit"),
    "name_zh": ("渠道名称（中文）", "name (Chinese)"),  # a channel's (转办渠道)
    "name_en": ("渠道名称（英文）", "name (English)"),
    "reply_zh": ("答复市民（中文）", "reply to the citizen (Chinese)"),
    "reply_en": ("答复市民（英文）", "reply to the citizen (English)"),
    "is_active": ("是否启用", "active"),
    "note": ("备注", "note"),
    "comment": ("评价", "comment"),
    "rating": ("评分", "rating"),
    "phone": ("手机号", "phone number"),
    "code": ("验证码", "code"),
    "description": ("问题描述", "description"),
    "text": ("文字", "text"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude"),
    "datum": ("坐标系", "datum"),
    "address": ("地址", "address"),
    "photo": ("照片", "photo"),
    "photo_ids": ("照片", "photos"),
    "photos": ("照片", "photos"),
    "media": ("照片", "photos"),
    "category_code": ("问题类别", "category"),
    "matter_code": ("事项", "matter"),
    "idempotency_key": ("提交标识", "submission key"),
    "reporter_name": ("上报人姓名", "reporter's name"),
    "reporter_phone": ("上报人电话", "reporter's phone"),
    "external_id": ("外部编号", "external id"),
    "unit_id": ("处置单位", "unit"),
    "into_case_id": ("并入的案件", "case to merge into"),
    "into_number": ("并入的案件编号", "number of the case to merge into"),
    "amount": ("延期时长", "extension"),
    "unit": ("时长单位", "unit of time"),
    "approve": ("审批结果", "approval"),
    "nickname": ("昵称", "nickname"),
    "home_town_code": ("常住镇街", "home town"),
    "language": ("语言", "language"),
    "town_code": ("镇街", "town"),
    "case_id": ("案件编号", "case id"),
    "report_id": ("上报编号", "report id"),
    "citizen_id": ("市民编号", "citizen id"),
    "status": ("状态", "status"),
    "source": ("来源", "source"),
    "number": ("案件编号", "case number"),
    "overdue": ("是否超期", "overdue"),
    "reported_from": ("上报时间（起）", "reported from"),
    "reported_to": ("上报时间（止）", "reported to"),
    "page": ("页码", "page"),
    "page_size": ("每页条数", "page size"),
    "k": ("建议条数", "number of suggestions"),
    "username": ("用户名", "username"),
    "password": ("密码", "password"),
    "action": ("操作", "action"),
    "name": ("名称", "name"),
    "display_name": ("姓名", "name"),  # a staff account's (administration)
    "roles": ("角色", "roles"),
    "communities": ("村（社区）", "communities"),
    "must_change_password": ("首次登录须改密码", "must change the password"),
    "kind": ("单位类型", "kind of unit"),
    "matter_class": ("大类", "matter class"),
    "stages": ("环节", "stages"),
    "opening_hours": ("开放时间", "opening hours"),
    "amenities": ("设施", "facilities"),
    "entity": ("对象", "entity"),
    "entity_key": ("对象编号", "entity key"),
    "since": ("时间（起）", "from"),
    "until": ("时间（止）", "until"),
}


def field_label(loc: list[str], *, en: bool) -> str:
    """The field in words: the label of the last name in `loc` that has one (list indexes and
    unknown names are skipped), else the field's own name."""
    for part in reversed(loc):
        if part in FIELD_LABELS:
            return FIELD_LABELS[part][1 if en else 0]
    return ".".join(loc)


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """One entry per error: `field` (the API's name, for clients), `label`/`label_en` (the
    field in words), `type`, `message` (zh, short) and `message_en` (pydantic's words)."""
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "form", "header", "cookie"):
            loc = loc[1:]
        kind = str(err.get("type"))
        zh, short_en = _FIELD_MESSAGES.get(kind, ("输入无效", "invalid"))
        errors.append(
            {
                "field": ".".join(loc),
                "label": field_label(loc, en=False),
                "label_en": field_label(loc, en=True),
                "type": kind,
                "message": zh,
                "message_en": str(err.get("msg") or short_en),
                "short_en": short_en,
            }
        )
    return errors


# --- the handlers ----------------------------------------------------------------------------------

ERROR_ID = "error_id"


def new_error_id() -> str:
    return uuid.uuid4().hex


def internal_error_text(error_id: str) -> tuple[str, str]:
    """The message of a 500 (zh, en): nothing of the cause, the id of its log entry."""
    return (
        f"服务器内部错误，请稍后重试；如问题持续，请联系管理员并提供错误编号 {error_id}",
        f"internal error; try again later, and if it persists report error id {error_id}",
    )


def log_unexpected(request_line: str, exc: BaseException) -> str:
    """Log an unexpected exception with its traceback under a new error id; returns the id."""
    error_id = new_error_id()
    log.error(
        "unexpected error %s on %s: %s",
        error_id,
        request_line,
        type(exc).__name__,
        exc_info=exc,
        extra={ERROR_ID: error_id},
    )
    return error_id


# a 500 in another document format, for the paths under a prefix: (path, error id) -> answer
InternalErrorFormat = Callable[[str, str], Response]


def _internal_error(
    request: Request, exc: BaseException, formats: Mapping[str, InternalErrorFormat]
) -> Response:
    error_id = log_unexpected(f"{request.method} {request.url.path}", exc)
    for prefix, answer in formats.items():
        if request.url.path.startswith(prefix):
            return answer(request.url.path, error_id)
    zh, en = internal_error_text(error_id)
    t_zh, t_en = _title(500)
    return problem(request, 500, "internal_error", t_zh, t_en, zh, en, {ERROR_ID: error_id})


def install_error_handlers(
    app: FastAPI, *, internal_error_formats: Mapping[str, InternalErrorFormat] | None = None
) -> None:
    """Problem+json answers for domain errors, validation errors and the unexpected; the paths
    under a prefix of `internal_error_formats` (Open311's) answer a 500 in their own format."""
    formats = dict(internal_error_formats or {})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        """Anything no other handler answered: Starlette's ServerErrorMiddleware (outermost)
        sends this 500 problem+json, with an `error_id` that is also in the log line with the
        traceback, then re-raises for the server."""
        return _internal_error(request, exc, formats)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        t_zh, t_en = _title(exc.status)
        return problem(
            request, exc.status, exc.code, t_zh, t_en, exc.message, exc.message_en, exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc)
        zh_items = "、".join(f"{e['label']}（{e['message']}）" for e in errors)
        en_items = "; ".join(f"{e['label_en']} ({e.pop('short_en')})" for e in errors)
        return problem(
            request,
            422,
            "invalid_input",
            "输入有误",
            "Invalid input",
            f"请检查：{zh_items}",
            f"check: {en_items}",
            {"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        t_zh, t_en = _title(exc.status_code)
        detail = str(exc.detail) if exc.detail else t_en
        response = problem(
            request, exc.status_code, f"http_{exc.status_code}", t_zh, t_en, t_zh, detail
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

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

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # the last line of defence: inputs are checked to the database's limits by their types
        # (`urbanops.core.types`), so this is a value some check let through
        log.warning("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            request,
            422,
            "invalid_value",
            "输入有误",
            "Invalid input",
            "输入的值超出允许范围或含有无法保存的字符，未作任何更改",
            "a value is out of range or holds characters that cannot be stored; nothing was changed",
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
