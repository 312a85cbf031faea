"""Open311 fixtures: a client with a fixed clock, an API key, and the official JSON schemas."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from sqlalchemy.orm import Session

from urbanops.core.settings import get_settings
from urbanops.core.web import get_now
from urbanops.identity.service import create_api_key

from ..conftest import NOW

BASE = "/open311/v2"
HUMEN = (22.8191, 113.6968)  # 虎门镇, routed to 虎门城管分局
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "open311"
SCHEMA_FILES = (
    "service.json",
    "services.json",
    "service-definition.json",
    "request.json",
    "requests.json",
)
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")


def _registry() -> Registry[Any]:
    resources = [
        (
            name,
            Resource.from_contents(
                json.loads((SCHEMAS / name).read_text()), default_specification=DRAFT7
            ),
        )
        for name in SCHEMA_FILES
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(schema: str, instance: Any) -> None:
    """Validate against an official GeoReport v2 schema (`$ref`s resolved between the files),
    plus what the schema's formats say and jsonschema here cannot check: W3C datetimes with a
    time zone and absolute http(s) media URLs."""
    Draft7Validator(REGISTRY.contents(schema), registry=REGISTRY).validate(instance)
    for item in instance if isinstance(instance, list) else [instance]:
        for name in DATETIME_FIELDS:
            if item.get(name) is not None:
                assert W3C.match(item[name]), (name, item[name])
                assert datetime.fromisoformat(item[name]).tzinfo is not None
        if item.get("media_url"):
            assert re.match(r"^https?://[^/\s]+/\S*$", item["media_url"]), item["media_url"]


@pytest.fixture
def o311(client: TestClient) -> Iterator[TestClient]:
    """The API client with the clock fixed at Monday 2026-03-02 10:00 in Dongguan."""
    app = cast(FastAPI, client.app)
    app.dependency_overrides[get_now] = lambda: NOW
    yield client
    app.dependency_overrides.pop(get_now, None)


@pytest.fixture(autouse=True)
def media_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test deployment takes photo links from one outside origin."""
    monkeypatch.setattr(get_settings().intake, "media_url_origins", ["https://img.example.org"])


@pytest.fixture
def api_key(session: Session) -> str:
    return create_api_key(session, "open311 test client")[1]


def post(client: TestClient, key: str, fmt: str = "json", **fields: Any) -> Response:
    """POST requests with sensible defaults (a full bin in Humen) overridden by `fields`;
    a field set to None is left out."""
    data: dict[str, Any] = {
        "api_key": key,
        "service_code": "06042",
        "lat": HUMEN[0],
        "long": HUMEN[1],
        "description": "垃圾桶满了，溢出来了",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    response: Response = client.post(f"{BASE}/requests.{fmt}", data=data)
    return response


def xml_root(response: Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def assert_error(response: Response, status: int, fmt: str = "json", contains: str = "") -> str:
    """An Open311 error document (never problem+json); returns its description."""
    assert response.status_code == status, response.text
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        body = response.json()
        assert isinstance(body, list) and len(body) == 1, body
        assert body[0]["code"] == status
        description = str(body[0]["description"])
    else:
        root = xml_root(response)
        assert root.tag == "errors"
        error = root.find("error")
        assert error is not None and error.findtext("code") == str(status)
        description = error.findtext("description") or ""
    assert description and contains in description, description
    return description
