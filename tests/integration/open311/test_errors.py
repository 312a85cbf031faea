"""Every error under /open311 is an Open311 error document (400, 403, 404, 405), in the format
the path asks for, never problem+json or a framework validation error; nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.reports.models import Report

from .conftest import BASE, assert_error, post


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_is_required(o311: TestClient, fmt: str) -> None:
    assert_error(post(o311, "", fmt=fmt), 403, fmt, contains="api_key")
    assert_error(post(o311, "uo_not-a-key", fmt=fmt), 403, fmt, contains="api_key")


BAD_POSTS: list[tuple[dict[str, Any], int, str]] = [
    ({"service_code": "99999"}, 404, "99999"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": ""}, 400, "service_code"),
    ({"lat": None}, 400, "lat"),
    ({"long": ""}, 400, "long"),
    ({"lat": None, "long": None, "address_string": "虎门镇连升中路 12 号"}, 400, "须提供坐标"),
    ({"lat": None, "long": None, "address_id": "A-1"}, 400, "coordinates are required"),
    ({"lat": "north"}, 400, "lat"),
    ({"lat": "nan"}, 400, "lat"),
    ({"lat": 95}, 400, "坐标无效"),
    ({"lat": 23.13, "long": 113.26}, 400, "不在本市任何镇街范围内"),  # Guangzhou
    ({"description": "满" * 4001}, 400, "4000"),
    ({"media_url": "ftp://example.org/a.jpg"}, 400, "media_url"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"phone": "call me"}, 400, "电话"),
    ({"email": "not an address"}, 400, "邮箱"),
    ({"attribute[datum]": "mars"}, 400, "datum"),
    ({"attribute[occurred_at]": "2026-03-02T09:00:00"}, 400, "时区"),
    ({"attribute[occurred_at]": "yesterday"}, 400, "occurred_at"),
    ({"attribute[occurred_at]": "2026-03-09T09:00:00+08:00"}, 400, "不能晚于当前时间"),
    ({"attribute[colour]": "red"}, 400, "colour"),
    ({"attribute[address_detail]": "x" * 300}, 400, "address_detail"),
    ({"attribute[]": "x"}, 400, "attribute"),
]


@pytest.mark.parametrize(("fields", "status", "contains"), BAD_POSTS)
def test_bad_posts_are_refused_and_nothing_is_written(
    o311: TestClient,
    session: Session,
    api_key: str,
    fields: dict[str, Any],
    status: int,
    contains: str,
) -> None:
    before = session.scalar(select(func.count()).select_from(Report))
    assert_error(post(o311, api_key, **fields), status, contains=contains)
    assert session.scalar(select(func.count()).select_from(Report)) == before


def test_a_description_of_exactly_4000_characters_is_accepted(
    o311: TestClient, api_key: str
) -> None:
    assert post(o311, api_key, description="满" * 4000).status_code == 200


def test_malformed_bodies_are_400(o311: TestClient, api_key: str) -> None:
    url = f"{BASE}/requests.json"
    r = o311.post(url, content=b'{"api_key": "x"}', headers={"content-type": "application/json"})
    assert_error(r, 400, contains="x-www-form-urlencoded")
    r = o311.post(
        url,
        content=b"api_key=" + api_key.encode() + b"&description=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(r, 400, contains="utf-8")
    r = o311.post(
        url,
        content=b"a=1",
        headers={"content-type": "application/x-www-form-urlencoded; charset=klingon"},
    )
    assert_error(r, 400, contains="klingon")
    r = o311.post(
        url,
        content=b"x" * (70 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(r, 400, contains="KiB")
    r = o311.post(
        url,
        data={"api_key": api_key, "service_code": "06042", "lat": "22.8191", "long": "113.6968"},
        files={"photo": ("a.jpg", b"\xff\xd8", "image/jpeg")},
    )
    assert_error(r, 400, contains="media_url")


def test_gbk_form_bodies_are_read_with_their_charset(o311: TestClient, api_key: str) -> None:
    from urllib.parse import urlencode

    body = urlencode(
        {
            "api_key": api_key,
            "service_code": "06042",
            "lat": "22.8191",
            "long": "113.6968",
            "description": "垃圾满了",
        },
        encoding="gbk",
    )
    r = o311.post(
        f"{BASE}/requests.json",
        content=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded; charset=GBK"},
    )
    assert r.status_code == 200, r.text
    shown = o311.get(f"{BASE}/requests/{r.json()[0]['service_request_id']}.json").json()[0]
    assert shown["description"] == "垃圾满了"


BAD_QUERIES: list[tuple[str, str]] = [
    ("start_date=2026-03-01T00:00:00", "时区"),
    ("start_date=2026-03-01", "时区"),
    ("end_date=yesterday", "end_date"),
    ("start_date=2025-11-01T00:00:00Z&end_date=2026-03-01T00:00:00Z", "90"),
    ("start_date=2026-03-01T00:00:00Z&end_date=2026-02-01T00:00:00Z", "end_date"),
    ("status=pending", "status"),
    ("page=0", "page"),
    ("page_size=1001", "page_size"),
    ("page_size=abc", "page_size"),
    ("page=1&page=2", "page"),
]


@pytest.mark.parametrize(("query", "contains"), BAD_QUERIES)
def test_bad_queries_are_400(o311: TestClient, query: str, contains: str) -> None:
    assert_error(o311.get(f"{BASE}/requests.json?{query}"), 400, contains=contains)
    assert_error(o311.get(f"{BASE}/requests.xml?{query}"), 400, "xml", contains=contains)


def test_bad_update_queries_are_400(o311: TestClient) -> None:
    r = o311.get(f"{BASE}/servicerequestupdates.json?start_date=2026-03-01T00:00:00")
    assert_error(r, 400, contains="时区")
    r = o311.get(
        f"{BASE}/servicerequestupdates.xml?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"
    )
    assert_error(r, 400, "xml", contains="90")


def test_unknown_requests_and_paths_are_404(o311: TestClient) -> None:
    assert_error(o311.get(f"{BASE}/requests/19990101000001.json"), 404, contains="19990101000001")
    assert_error(o311.get(f"{BASE}/requests/19990101000001.xml"), 404, "xml")
    assert_error(o311.get(f"{BASE}/tokens/abc.json"), 404)
    assert_error(o311.get(f"{BASE}/services/06042.json/extra"), 404, "xml")
    assert_error(o311.get("/open311/v3/services.json"), 404)
    assert_error(o311.get("/open311"), 404, "xml")


def test_wrong_methods_are_405_with_allow(o311: TestClient) -> None:
    r = o311.put(f"{BASE}/requests.json", data={"a": "1"})
    assert_error(r, 405, contains="PUT")
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    r = o311.delete(f"{BASE}/services/06042.xml")
    assert_error(r, 405, "xml")
    assert "GET" in r.headers["allow"]
    r = o311.post(f"{BASE}/services.json")
    assert_error(r, 405)


def test_unexpected_failures_are_open311_errors_too(
    o311: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urbanops.open311 import queries

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(queries, "services", broken)
    assert_error(o311.get(f"{BASE}/services.json"), 500)
    assert_error(o311.get(f"{BASE}/services.xml"), 500, "xml")
