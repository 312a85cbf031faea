"""Inputs that once answered 500: NUL bytes and other control characters, ids beyond the
database's integer columns, dates near year 1 or 9999, on the REST API, the citizen app and
Open311. Each gets a clear 4xx (problem+json on /api/v1, an Open311 error under /open311) and
writes nothing; an unexpected error is a problem+json 500 with an id that is in the log."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.core.clock import utcnow
from urbanops.identity import citizens
from urbanops.identity.models import Citizen, CitizenSession
from urbanops.identity.service import create_api_key
from urbanops.reports.models import Report

from .conftest import NOW, Staff, token
from .open311.conftest import BASE, assert_error

HUMEN = {"lat": 22.8191, "lon": 113.6968}
BEYOND_BIGINT = str(2**63)
BEYOND_INT = str(2**31)


@pytest.fixture
def chief(client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    return token(client, staff["chief"].username)


@pytest.fixture
def citizen(session: Session) -> dict[str, str]:
    person = Citizen(phone="13900001234", nickname="市民1234", created_at=NOW)
    session.add(person)
    session.flush()
    secret = secrets.token_urlsafe(32)
    now = utcnow()  # sessions are checked against the real clock
    session.add(
        CitizenSession(
            token_hash=citizens.keyed_digest("session", secret),
            citizen_id=person.id,
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    session.flush()
    return {"X-Citizen-Token": secret}


@pytest.fixture
def api_key(session: Session) -> str:
    return create_api_key(session, "no-500 test client")[1]


@pytest.fixture
def case_id(client: TestClient, chief: dict[str, str]) -> int:
    r = client.post("/api/v1/reports", json={**HUMEN, "matter_code": "06042"}, headers=chief)
    assert r.status_code == 201, r.text
    return int(r.json()["case_id"])


def send(
    client: TestClient,
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A request with a JSON body written with ASCII escapes, so that it can carry what JSON
    can and UTF-8 cannot (lone surrogates, "\\ud800")."""
    if body is None:
        plain: Response = client.request(method, url, headers=headers)
        return plain
    content = json.dumps(body).encode()
    sent: Response = client.request(
        method,
        url,
        content=content,
        headers={**(headers or {}), "content-type": "application/json"},
    )
    return sent


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Case)) or 0,
        session.scalar(select(func.count()).select_from(Report)) or 0,
        session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
    )


def assert_problem(r: Response, status: int = 422, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["code"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


# --- /api/v1: staff ---------------------------------------------------------------------------


GETS_AS_STAFF: list[tuple[str, str | None]] = [
    (f"/api/v1/cases/{BEYOND_BIGINT}", "case_id"),
    (f"/api/v1/cases/{BEYOND_BIGINT}/reports", "case_id"),
    ("/api/v1/cases/0", "case_id"),
    ("/api/v1/cases?town=%00", "town"),
    ("/api/v1/cases?matter=%00", "matter"),
    ("/api/v1/cases?source=%00", "source"),
    ("/api/v1/cases?q=%00", "q"),
    ("/api/v1/cases?status=%00", "status.0"),
    (f"/api/v1/cases?unit={BEYOND_INT}", "unit"),
    ("/api/v1/cases?cursor=%00", "cursor"),
    ("/api/v1/cases/map?zoom=10&bbox=%00", "bbox"),
    ("/api/v1/cases/counts?town=%00", "town"),
    ("/api/v1/cases/export.csv?matter=%00", "matter"),
    ("/api/v1/cases?reported_from=0001-01-01T00:00:00%2B14:00", "reported_from"),
    ("/api/v1/cases?reported_to=9999-12-31T23:59:59-14:00", "reported_to"),
    ("/api/v1/suggestions?text=%00", "text"),
    ("/api/v1/suggestions?text=x&category_code=%00", "category_code"),
    ("/api/v1/locate?lat=1e308&lon=1e308", "lat"),
]


@pytest.mark.parametrize(("url", "field"), GETS_AS_STAFF)
def test_bad_staff_queries_are_422(
    client: TestClient, chief: dict[str, str], url: str, field: str | None
) -> None:
    assert_problem(client.get(url, headers=chief), 422, field)


ACTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("accept", {"note": "a\x00b"}, "note"),
    ("dispatch", {"unit_id": int(BEYOND_INT)}, "unit_id"),
    ("merge", {"into_number": "9" * 30}, "into_number"),
    ("return", {"reason": "\x00"}, "reason"),
    ("verify", {"photos": ["\x00"]}, "photos.0"),
    ("urge", {"note": "\ud800"}, "note"),
]


@pytest.mark.parametrize(("action", "body", "field"), ACTIONS)
def test_bad_action_bodies_are_422_and_change_nothing(
    client: TestClient,
    session: Session,
    chief: dict[str, str],
    case_id: int,
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = counts(session)
    r = send(client, "POST", f"/api/v1/cases/{case_id}/actions/{action}", body, chief)
    assert_problem(r, 422, field)
    assert counts(session) == before


def test_path_ids_beyond_the_columns_are_422(client: TestClient, chief: dict[str, str]) -> None:
    r = client.post(f"/api/v1/cases/{BEYOND_BIGINT}/actions/accept", json={}, headers=chief)
    assert_problem(r, 422, "case_id")
    r = client.post(f"/api/v1/cases/1/reports/{BEYOND_BIGINT}/split", headers=chief)
    assert_problem(r, 422, "report_id")
    r = client.post(
        f"/api/v1/citizens/{BEYOND_BIGINT}/reveal-phone",
        json={"case_id": 1, "reason": "核实"},
        headers=chief,
    )
    assert_problem(r, 422, "citizen_id")
    r = client.post(
        "/api/v1/citizens/1/reveal-phone", json={"case_id": 1, "reason": "\x00"}, headers=chief
    )
    assert_problem(r, 422, "reason")


REPORTS: list[tuple[dict[str, Any], str]] = [
    ({"description": "满了\x00"}, "description"),
    ({"address": "\x00"}, "address"),
    ({"idempotency_key": "key-\x00-0001"}, "idempotency_key"),
    ({"external_id": "\x00"}, "external_id"),
    ({"media": ["/media/\x00.jpg"]}, "media.0"),
    ({"reporter_name": "\x07"}, "reporter_name"),
    ({"reporter_phone": "\x00"}, "reporter_phone"),
    ({"category_code": "\x00"}, "category_code"),
    ({"description": "\udfff"}, "description"),
]


@pytest.mark.parametrize(("fields", "field"), REPORTS)
def test_bad_reports_are_422_and_write_nothing(
    client: TestClient,
    session: Session,
    chief: dict[str, str],
    api_key: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    before = counts(session)
    body = {**HUMEN, "matter_code": "06042", **fields}
    assert_problem(send(client, "POST", "/api/v1/reports", body, chief), 422, field)
    r = send(client, "POST", "/api/v1/reports", body, {"X-API-Key": api_key})
    assert_problem(r, 422, field)
    assert counts(session) == before


def test_login_with_nul_is_refused(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "a\x00", "password": "x"})
    assert r.status_code in (401, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"


# --- /api/v1/citizen --------------------------------------------------------------------------


def test_stations_with_nul_town_is_422(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/citizen/stations?town_code=%00"), 422, "town_code")


CITIZEN_CALLS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("post", "/api/v1/citizen/otp", {"phone": "1390000\x001234"}, "phone"),
    ("post", "/api/v1/citizen/session", {"phone": "13900001234", "code": "\x00"}, "code"),
    ("patch", "/api/v1/citizen/me", {"nickname": "\x00"}, "nickname"),
    ("patch", "/api/v1/citizen/me", {"home_town_code": "\x00"}, "home_town_code"),
    ("patch", "/api/v1/citizen/me", {"language": "\x00"}, "language"),
    (
        "post",
        "/api/v1/citizen/reports",
        {**HUMEN, "description": "\x00", "idempotency_key": "citizen-0001"},
        "description",
    ),
    (
        "post",
        "/api/v1/citizen/reports",
        {**HUMEN, "idempotency_key": "citizen-\x00-0001"},
        "idempotency_key",
    ),
    (
        "post",
        "/api/v1/citizen/reports",
        {**HUMEN, "photo_ids": ["\x00"], "idempotency_key": "citizen-0002"},
        "photo_ids.0",
    ),
    ("get", f"/api/v1/citizen/cases/{BEYOND_BIGINT}", None, "case_id"),
    ("post", f"/api/v1/citizen/cases/{BEYOND_BIGINT}/rate", {"rating": 5}, "case_id"),
    ("post", "/api/v1/citizen/cases/1/rate", {"rating": 5, "comment": "\x00"}, "comment"),
    ("post", "/api/v1/citizen/cases/1/dispute", {"reason": "\x00"}, "reason"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), CITIZEN_CALLS)
def test_bad_citizen_calls_are_422_and_write_nothing(
    client: TestClient,
    session: Session,
    citizen: dict[str, str],
    method: str,
    url: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    before = counts(session)
    r = send(client, method.upper(), url, body, citizen)
    assert_problem(r, 422, field)
    assert counts(session) == before


# --- Open311 ----------------------------------------------------------------------------------


OPEN311_GETS: list[tuple[str, int, str]] = [
    ("/requests/%00.json", 404, ""),
    ("/requests/%00.xml", 404, ""),
    ("/requests/" + "9" * 200 + ".json", 404, ""),
    ("/services/%00.json", 404, ""),
    ("/requests.json?service_request_id=%00", 400, "service_request_id"),
    ("/requests.json?service_code=%00", 400, "service_code"),
    ("/requests.json?status=%00", 400, "status"),
    ("/requests.json?start_date=0001-01-01T00:00:00Z", 400, "start_date"),
    ("/requests.json?end_date=0001-01-01T00:00:00Z", 400, "end_date"),
    ("/requests.json?start_date=9999-12-31T23:59:59Z", 400, "start_date"),
    ("/requests.json?end_date=9999-12-31T23:59:59-14:00", 400, "end_date"),
    ("/requests.xml?start_date=0001-01-01T00:00:00%2B14:00", 400, "start_date"),
    ("/servicerequestupdates.json?start_date=0001-01-01T00:00:00Z", 400, "start_date"),
    ("/servicerequestupdates.json?end_date=0001-01-01T00:00:00Z", 400, "end_date"),
    ("/servicerequestupdates.json?start_date=9999-12-31T23:59:59Z", 400, "start_date"),
    ("/requests.json?page=99999999999999999999", 400, "page"),
]


@pytest.mark.parametrize(("path", "status", "contains"), OPEN311_GETS)
def test_bad_open311_queries_are_open311_errors(
    client: TestClient, path: str, status: int, contains: str
) -> None:
    fmt = "xml" if ".xml" in path else "json"
    assert_error(client.get(BASE + path), status, fmt, contains=contains)


OPEN311_POSTS: list[tuple[dict[str, str], int, str]] = [
    ({"description": "满了\x00"}, 400, "description"),
    ({"address_string": "\x00"}, 400, "address_string"),
    ({"device_id": "\x00"}, 400, "device_id"),
    ({"account_id": "\x00"}, 400, "account_id"),
    ({"first_name": "\x00"}, 400, "first_name"),
    ({"email": "a\x00@example.org"}, 400, "email"),
    ({"service_code": "\x00"}, 400, "service_code"),
    ({"attribute[address_detail]": "\x00"}, 400, "address_detail"),
    ({"attribute[occurred_at]": "0001-01-01T00:00:00+14:00"}, 400, "occurred_at"),
    ({"media_url": "https://example.org/\x00.jpg"}, 400, "media_url"),
]


@pytest.mark.parametrize(("fields", "status", "contains"), OPEN311_POSTS)
def test_bad_open311_posts_are_open311_errors_and_write_nothing(
    client: TestClient,
    session: Session,
    api_key: str,
    fields: dict[str, str],
    status: int,
    contains: str,
) -> None:
    before = counts(session)
    data = {
        "api_key": api_key,
        "service_code": "06042",
        "lat": str(HUMEN["lat"]),
        "long": str(HUMEN["lon"]),
        "description": "垃圾桶满了",
        **fields,
    }
    assert_error(client.post(f"{BASE}/requests.json", data=data), status, contains=contains)
    assert counts(session) == before


def test_open311_api_key_with_nul_is_400(client: TestClient) -> None:
    data = {"api_key": "uo_\x00", "service_code": "06042", "lat": "22.8", "long": "113.7"}
    assert_error(client.post(f"{BASE}/requests.json", data=data), 400, contains="api_key")


# --- the catch-all ----------------------------------------------------------------------------


@pytest.fixture
def broken_app(client: TestClient) -> Iterator[TestClient]:
    """The test app with routes that fail unexpectedly (never in production)."""
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/api/v1/_test/boom")
    def boom() -> None:
        raise RuntimeError("boom: something nobody expected")

    @app.get("/console/_test/boom", include_in_schema=False)
    def page_boom() -> None:
        raise ZeroDivisionError

    yield client
    app.router.routes[:] = [r for r in app.router.routes if "/_test/" not in getattr(r, "path", "")]


@pytest.mark.parametrize(
    ("path", "lang"), [("/api/v1/_test/boom", "zh"), ("/console/_test/boom", "en")]
)
def test_unexpected_errors_are_problems_with_an_id_in_the_log(
    broken_app: TestClient, caplog: pytest.LogCaptureFixture, path: str, lang: str
) -> None:
    with caplog.at_level(logging.ERROR):
        r = broken_app.get(path, headers={"Accept-Language": lang})
    body = assert_problem(r, 500)
    assert body["code"] == "internal_error"
    assert len(body["error_id"]) == 32 and int(body["error_id"], 16) >= 0
    assert body["error_id"] in body["detail"]
    assert ("internal error" in body["detail"]) is (lang == "en")
    assert "boom" not in r.text  # nothing of the exception leaks to the client
    logged = [rec for rec in caplog.records if body["error_id"] in rec.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_unexpected_open311_errors_carry_an_id_in_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urbanops.open311 import queries

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(queries, "services", broken)
    with caplog.at_level(logging.ERROR):
        description = assert_error(client.get(f"{BASE}/services.json"), 500)
    logged = [rec for rec in caplog.records if rec.exc_info is not None]
    assert len(logged) == 1
    error_id = getattr(logged[0], "error_id", "")
    assert len(error_id) == 32 and error_id in description and error_id in logged[0].getMessage()


# --- validation messages ----------------------------------------------------------------------


def test_validation_errors_name_the_field_in_words(
    client: TestClient, chief: dict[str, str], case_id: int
) -> None:
    url = f"/api/v1/cases/{case_id}/actions/return"
    r = client.post(url, json={"reason": "x" * 2001}, headers=chief)
    body = assert_problem(r, 422, "reason")
    assert body["detail"] == "请检查：原因（内容过长）"
    assert body["errors"][0]["label"] == "原因"
    r = client.post(url, json={"reason": "x" * 2001}, headers={**chief, "Accept-Language": "en"})
    body = assert_problem(r, 422, "reason")
    assert body["detail"] == "check: reason (too long)"
    assert (body["errors"][0]["label"], body["errors"][0]["label_en"]) == ("原因", "reason")
    r = client.post(url, json={"reason": "a\x00"}, headers=chief)
    assert assert_problem(r, 422, "reason")["detail"] == "请检查：原因（含有不允许的控制字符）"


def test_citizen_validation_messages_name_the_field(
    client: TestClient, citizen: dict[str, str]
) -> None:
    body = {"lat": "north", "lon": 113.7, "idempotency_key": "short"}
    r = client.post("/api/v1/citizen/reports", json=body, headers=citizen)
    problem = assert_problem(r, 422)
    assert "纬度（须为数字）" in problem["detail"]
    assert "提交标识（内容过短）" in problem["detail"]
    assert "lat" not in problem["detail"]
