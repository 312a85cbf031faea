"""Reading Open311 parameters by hand, so that every bad input becomes an Open311 error (400/403)
and never the framework's own validation response.

Rules of the spec applied here: an empty parameter behaves exactly like an absent one; list
parameters are comma-separated and may also be repeated; datetimes are W3C with a mandatory
time zone; query ranges span at most 90 days (default: the last 90 days).
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from urbanops.core.errors import InvalidInput, NotFound, PermissionDenied
from urbanops.core.types import EARLIEST, LATEST, has_control, in_window
from urbanops.open311.schemas import NewRequest, RequestQuery, UpdateQuery, Window

Params = Mapping[str, list[str]]

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
MAX_DAYS = 90
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
MAX_DESCRIPTION = 4000
MAX_MEDIA = 9
STATUSES = ("open", "closed")
MAX_REQUEST_ID = 20  # case numbers: `case.number` is String(20)
MAX_CODE = 32
# parameters whose text may span lines (newlines and tabs allowed, other control characters not)
MULTILINE = frozenset({"description"})

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# '+' of a time zone that a client forgot to percent-encode arrives as a space
_TZ_AS_SPACE = re.compile(r"^(\S+T\S+) (\d{2}:?\d{2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,19}$")


def _bad(message: str, message_en: str, field: str | None = None) -> InvalidInput:
    return InvalidInput(
        message,
        code="open311_bad_parameter",
        message_en=message_en,
        extra={"field": field} if field else None,
    )


def collect(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in items:
        out.setdefault(key, []).append(value)
    return out


# --- reading a POST body ----------------------------------------------------------------------------


def _content_type(request: Request) -> tuple[str, str]:
    """The media type and charset of the body (default UTF-8, as the spec requires)."""
    raw = request.headers.get("content-type", "")
    media, _, rest = raw.partition(";")
    charset = "utf-8"
    for part in rest.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


async def read_form(request: Request) -> dict[str, list[str]]:
    """The fields of an `application/x-www-form-urlencoded` body (or the text fields of a
    `multipart/form-data` one), at most 64 KiB."""
    media, charset = _content_type(request)
    try:
        codecs.lookup(charset)
    except LookupError:
        raise _bad(
            f"不支持的字符集“{charset}”，请使用 UTF-8", f"unknown charset {charset!r}: use UTF-8"
        ) from None
    if media == "multipart/form-data":
        return await _read_multipart(request)
    if media not in ("", "application/x-www-form-urlencoded"):
        raise _bad(
            "请求体须为 application/x-www-form-urlencoded 表单",
            f"the body must be application/x-www-form-urlencoded, not {media}",
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    try:
        text = bytes(body).decode(charset)
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=charset,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise _bad(f"请求体不是有效的 {charset} 编码", f"the body is not valid {charset}") from None
    except ValueError:
        raise _bad("表单字段过多或格式错误", "too many or malformed form fields") from None
    return collect(pairs)


async def _read_multipart(request: Request) -> dict[str, list[str]]:
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_BODY_BYTES)
    except (MultiPartException, StarletteHTTPException):
        raise _bad(
            "表单格式错误；本接口不接收文件上传，图片请通过 media_url 提供链接",
            "malformed multipart form; files are not accepted, send a media_url instead",
        ) from None
    try:
        out: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise _bad(
                    "本接口不接收文件上传，图片请通过 media_url 提供链接",
                    "files are not accepted; send a media_url instead",
                    key,
                )
            out.setdefault(key, []).append(value)
        return out
    finally:
        await form.close()


def _too_large() -> InvalidInput:
    return _bad(
        f"请求体过大（上限 {MAX_BODY_BYTES // 1024} KiB）",
        f"the body is larger than {MAX_BODY_BYTES // 1024} KiB",
    )


# --- single parameters ------------------------------------------------------------------------------


def _control(name: str) -> InvalidInput:
    return _bad(
        f"参数 {name} 含有不允许的控制字符",
        f"{name} must not contain control characters",
        name,
    )


def checked(name: str, value: str) -> str:
    """`value` if it holds no control character (newlines and tabs allowed in MULTILINE
    parameters): NUL and the like can neither be stored nor shown."""
    if has_control(value, multiline=name in MULTILINE):
        raise _control(name)
    return value


def one(params: Params, name: str) -> str | None:
    """A scalar parameter, stripped; empty counts as absent; two different values are refused."""
    values = [checked(name, v.strip()) for v in params.get(name, ()) if v.strip()]
    if not values:
        return None
    if len(set(values)) > 1:
        raise _bad(f"参数 {name} 只能出现一次", f"parameter {name} given more than once", name)
    return values[0]


def many(params: Params, name: str) -> list[str]:
    """A list parameter: comma-separated and/or repeated, empty items dropped, order kept."""
    out: list[str] = []
    for value in params.get(name, ()):
        for item in value.split(","):
            item = checked(name, item.strip())
            if item and item not in out:
                out.append(item)
    return out


def integer(params: Params, name: str, *, default: int, lo: int, hi: int) -> int:
    raw = one(params, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"参数 {name} 须为整数", f"{name} must be an integer", name) from None
    if not lo <= value <= hi:
        raise _bad(
            f"参数 {name} 须在 {lo} 到 {hi} 之间", f"{name} must be between {lo} and {hi}", name
        )
    return value


def number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _bad(f"参数 {name} 须为数字", f"{name} must be a number", name) from None
    if not math.isfinite(value):
        raise _bad(f"参数 {name} 须为有限数值", f"{name} must be a finite number", name)
    return value


def w3c_datetime(name: str, raw: str) -> datetime:
    """A W3C (ISO 8601) datetime with its time zone (`Z` or `±HH:MM`), as the spec requires."""
    value = _TZ_AS_SPACE.sub(r"\1+\2", raw.strip())
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(
            f"{name} 不是有效的 W3C 日期时间（例如 2026-03-02T10:00:00+08:00）",
            f"{name} is not a W3C datetime (e.g. 2026-03-02T10:00:00+08:00)",
            name,
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _bad(
            f"{name} 须带时区（Z 或 ±HH:MM，例如 2026-03-02T10:00:00+08:00）",
            f"{name} must include a time zone (Z or ±HH:MM)",
            name,
        )
    if not in_window(parsed):
        first, last = EARLIEST.date().isoformat(), LATEST.date().isoformat()
        raise _bad(
            f"{name} 须在 {first} 到 {last} 之间",
            f"{name} must lie between {first} and {last}",
            name,
        )
    return parsed


def window(params: Params, now: datetime) -> Window:
    """`start_date`/`end_date`: at most 90 days; a missing end lies 90 days after the start (at
    most now), a missing start 90 days before the end; neither: the last 90 days."""
    raw_start, raw_end = one(params, "start_date"), one(params, "end_date")
    start = w3c_datetime("start_date", raw_start) if raw_start else None
    end = w3c_datetime("end_date", raw_end) if raw_end else None
    span = timedelta(days=MAX_DAYS)
    if start is None and end is None:
        return Window(now - span, now)
    if start is None:
        assert end is not None
        return Window(end - span, end)
    if end is None:
        return Window(start, max(start, min(start + span, now)))
    if end < start:
        raise _bad("end_date 不能早于 start_date", "end_date is before start_date", "end_date")
    if end - start > span:
        raise _bad(
            f"查询时间范围不能超过 {MAX_DAYS} 天",
            f"the date range may not exceed {MAX_DAYS} days",
            "end_date",
        )
    return Window(start, end)


def _page(params: Params) -> tuple[int, int]:
    page = integer(params, "page", default=1, lo=1, hi=1_000_000)
    size = integer(params, "page_size", default=MAX_PAGE_SIZE, lo=1, hi=MAX_PAGE_SIZE)
    return page, size


# --- the endpoints' parameters ----------------------------------------------------------------------


def request_id(raw: str) -> str:
    """The id in `requests/{id}.{fmt}`: a case number. One that no case can have (too long,
    control characters) is simply not found."""
    if len(raw) > MAX_REQUEST_ID or has_control(raw):
        raise NotFound(
            "该服务请求不存在",
            code="open311_unknown_request",
            message_en="no such service request",
        )
    return raw


def service_code(raw: str) -> str:
    """The code in `services/{code}.{fmt}`; one that no service can have is not found."""
    if len(raw) > MAX_CODE or has_control(raw):
        raise NotFound(
            "该服务代码不存在", code="open311_unknown_service", message_en="no such service_code"
        )
    return raw


def request_query(params: Params, now: datetime) -> RequestQuery:
    ids = many(params, "service_request_id")
    if ids:
        if len(ids) > MAX_IDS:
            raise _bad(
                f"一次最多查询 {MAX_IDS} 个编号",
                f"at most {MAX_IDS} ids at once",
                "service_request_id",
            )
        return RequestQuery(ids=ids)
    statuses = [s.lower() for s in many(params, "status")]
    for status in statuses:
        if status not in STATUSES:
            raise _bad(
                f"status 只能是 open 或 closed，收到“{status}”",
                f"status must be open or closed, not {status!r}",
                "status",
            )
    page, size = _page(params)
    return RequestQuery(
        service_codes=many(params, "service_code"),
        statuses=statuses,
        window=window(params, now),
        page=page,
        page_size=size,
    )


def update_query(params: Params, now: datetime) -> UpdateQuery:
    page, size = _page(params)
    return UpdateQuery(window=window(params, now), page=page, page_size=size)


def api_key(params: Params) -> str:
    key = one(params, "api_key")
    if key is None:
        raise PermissionDenied(
            "缺少 api_key：提交请求须提供 API 密钥",
            code="open311_api_key_missing",
            message_en="api_key is required to create a request",
        )
    return key


def invalid_api_key() -> PermissionDenied:
    return PermissionDenied(
        "api_key 无效或已吊销",
        code="open311_api_key_invalid",
        message_en="invalid or revoked api_key",
    )


def _limited(params: Params, name: str, limit: int, what: str) -> str:
    value = one(params, name) or ""
    if len(value) > limit:
        raise _bad(
            f"{what}（{name}）不能超过 {limit} 个字符",
            f"{name} may not exceed {limit} characters",
            name,
        )
    return value


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _reporter_name(first: str, last: str) -> str:
    """Chinese names read family name first, without a space; others "first last"."""
    if _has_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _media(params: Params) -> list[str]:
    # URLs may contain commas: only repetition makes a list here
    urls = [
        checked("media_url", v.strip())
        for k in ("media_url", "media_url[]")
        for v in params.get(k, ())
        if v.strip()
    ]
    if len(urls) > MAX_MEDIA:
        raise _bad(f"media_url 最多 {MAX_MEDIA} 个", f"at most {MAX_MEDIA} media_url", "media_url")
    for url in urls:  # what they may name is the service's to check (`photos.media_refs`)
        if len(url) > 2048:
            raise _bad(
                "media_url 不能超过 2048 个字符",
                "media_url may not exceed 2048 characters",
                "media_url",
            )
    return urls


def _attributes(params: Params) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in params.items():
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(key)
        if match is None:
            raise _bad(
                f"参数名“{key}”无效，应为 attribute[代码]",
                f"malformed attribute parameter {key!r}",
                key,
            )
        items = [checked(key, v.strip()) for v in values if v.strip()]
        if items:
            out.setdefault(match.group(1), []).extend(items)
    return out


def new_request(params: Params) -> NewRequest:
    """POST requests: the fields' presence, types and lengths."""
    code = one(params, "service_code")
    if code is None:
        raise _bad("缺少 service_code", "service_code is required", "service_code")
    raw_lat, raw_lon = one(params, "lat"), one(params, "long")
    if raw_lat is None or raw_lon is None:
        if (
            raw_lat is None
            and raw_lon is None
            and (one(params, "address_string") or one(params, "address_id"))
        ):
            raise _bad(
                "本平台须提供坐标：请同时提供 lat 和 long（WGS-84），仅有地址（address_string/address_id）无法受理",
                "coordinates are required here: send lat and long (WGS-84); an address alone is not accepted",
                "lat",
            )
        raise _bad(
            "缺少位置：请同时提供 lat 和 long（WGS-84）", "lat and long are both required", "lat"
        )
    lat, lon = number("lat", raw_lat), number("long", raw_lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad(
            f"坐标无效：纬度 {lat}，经度 {lon}",
            f"invalid coordinates: lat {lat}, long {lon}",
            "lat",
        )
    description = one(params, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise _bad(
            f"问题描述不能超过 {MAX_DESCRIPTION} 字（当前 {len(description)} 字）",
            f"description may not exceed {MAX_DESCRIPTION} characters ({len(description)} given)",
            "description",
        )
    email = _limited(params, "email", 254, "电子邮箱")
    if email and ("@" not in email or any(ch.isspace() for ch in email)):
        raise _bad("电子邮箱格式不正确", "email is not a valid address", "email")
    phone = _limited(params, "phone", 20, "电话")
    if phone and not _PHONE.match(phone):
        raise _bad("电话号码格式不正确", "phone is not a valid phone number", "phone")
    name = _reporter_name(
        _limited(params, "first_name", 32, "名"), _limited(params, "last_name", 32, "姓")
    )
    return NewRequest(
        service_code=code,
        lat=lat,
        lon=lon,
        description=description,
        address_string=_limited(params, "address_string", 256, "地址"),
        media=_media(params),
        attributes=_attributes(params),
        email=email,
        device_id=_limited(params, "device_id", 100, "设备标识"),
        account_id=_limited(params, "account_id", 100, "账号标识") or None,
        reporter_name=name,
        reporter_phone=phone,
    )
