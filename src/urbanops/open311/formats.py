"""Open311 output: XML (required by the spec) and JSON (the "Spark convention": wrapper elements
dropped, a top-level array for collections), and the Open311 error document.

Payloads are plain data (dicts, lists, strings, numbers, booleans, None) built from the
dataclasses in `urbanops.open311.schemas`; one payload renders to both formats.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Response

from urbanops.core.errors import NotFound
from urbanops.core.settings import get_settings

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# element name of the items of each list, for XML
LIST_ITEMS: Mapping[str, str] = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# characters XML 1.0 cannot carry, even escaped (control characters, lone surrogates, U+FFFE/F)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    xml = "xml"
    json = "json"


def parse_format(suffix: str) -> Format:
    """The format named by a URL suffix (`services.xml`); anything else is not a resource here."""
    try:
        return Format(suffix)
    except ValueError:
        raise NotFound(
            f"不支持的格式“{suffix}”，请使用 .xml 或 .json",
            code="unknown_format",
            message_en=f"unknown format {suffix!r}: use .xml or .json",
        ) from None


def format_of_path(path: str) -> Format:
    """The format to answer in when all we have is the path (errors): JSON for `.json`, else XML."""
    return Format.json if path.endswith(".json") else Format.xml


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def plain(value: Any) -> Any:
    """Dataclasses (and lists of them) as dicts, keeping field order. Unlike `asdict`, nothing
    is deep-copied: the payloads are built per request and only read."""
    if value is None or isinstance(value, str | int | float):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _append(element, str(key), item)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS.get(tag, "item")
        for item in value:
            _append(element, item_tag, item)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """`<root><item>…</item>…</root>` for a list, `<root>…</root>` for a single object."""
    data = plain(payload)
    element = ET.Element(root)
    if item is not None:
        for entry in data:
            _append(element, item, entry)
    else:
        for key, value in data.items():
            _append(element, key, value)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def to_json(payload: Any) -> bytes:
    return json.dumps(plain(payload), ensure_ascii=False, allow_nan=False).encode("utf-8")


def render(
    fmt: Format,
    root: str,
    item: str | None,
    payload: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One Open311 document: `item` names the elements of a collection (None: a single object)."""
    if fmt is Format.json:
        return Response(to_json(payload), status_code=status, media_type=JSON_TYPE, headers=headers)
    return Response(
        to_xml(root, item, payload), status_code=status, media_type=XML_TYPE, headers=headers
    )


def error_response(
    fmt: Format, status: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """`[{"code": 400, "description": "…"}]` / `<errors><error><code>400</code>…</error></errors>`."""
    return render(
        fmt,
        "errors",
        "error",
        [{"code": status, "description": description}],
        status=status,
        headers=headers,
    )


def w3c(value: datetime) -> str:
    """A W3C datetime in the city's time zone, e.g. 2026-03-02T10:00:00+08:00."""
    return value.astimezone(ZoneInfo(get_settings().timezone)).isoformat(timespec="seconds")


def local_text(value: datetime) -> str:
    """A short local time for Chinese text, e.g. 2026-03-02 10:00."""
    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def absolute_url(base_url: str, value: Any) -> str | None:
    """A media reference as an absolute http(s) URL: site paths are resolved against the
    server's base URL; anything else (bare storage keys) has no public URL."""
    if isinstance(value, Mapping):
        value = value.get("url")
    if not isinstance(value, str) or not value:
        return None
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    if value.startswith("/") and not value.startswith("//"):
        return base_url.rstrip("/") + value
    return None


def internal_error_document(path: str, error_id: str) -> Response:
    """A 500 as an Open311 error document, in the format of `path`, naming the id of its log
    entry (nothing of the cause)."""
    from urbanops.core.web import internal_error_text

    zh, en = internal_error_text(error_id)
    return error_response(format_of_path(path), 500, f"{zh} / {en}")


ERROR_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Open311 errors (JSON); the .xml paths answer <errors><error>…</error></errors>",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def _document(description: str, json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": json_schema or {}},
            "text/xml": {"schema": {"type": "string"}},
        },
    }


def responses(ok: str) -> dict[int | str, dict[str, Any]]:
    """The answers of an Open311 route for the OpenAPI description: the document in JSON or
    XML (by the path's suffix), or an Open311 error document."""
    return {
        200: _document(ok),
        400: _document("参数无效 / invalid parameters", ERROR_SCHEMA),
        403: _document("api_key 缺失或无效 / api_key missing or invalid", ERROR_SCHEMA),
        404: _document("未找到 / not found", ERROR_SCHEMA),
        500: _document("服务器内部错误（附错误编号）/ internal error, with its id", ERROR_SCHEMA),
        503: _document("服务暂不可用 / service unavailable", ERROR_SCHEMA),
    }
