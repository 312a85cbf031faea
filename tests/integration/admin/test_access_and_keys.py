"""Who may administer: every admin endpoint refuses every other role (403) and a caller
without a token (401), writing nothing; API keys are made with their secret shown once and
revoked; the audit trail lists entries with filters."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.identity import service as identity
from urbanops.identity.models import ApiKey, AuditEntry, User
from urbanops.identity.roles import Role

from ..conftest import PASSWORD, token
from .conftest import audit_rows, problem, strong_password

# (method, path, body) of every admin endpoint; ids that exist are filled in by the test
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/admin/options", None),
    ("GET", "/api/v1/admin/summary", None),
    ("GET", "/api/v1/admin/users", None),
    (
        "POST",
        "/api/v1/admin/users",
        {"username": "intruder", "display_name": "x", "password": "{password}", "roles": ["admin"]},
    ),
    ("PATCH", "/api/v1/admin/users/{user}", {"roles": ["admin"]}),
    ("POST", "/api/v1/admin/users/{user}/reset-password", None),
    ("GET", "/api/v1/admin/communities?town_code=441900003", None),
    ("GET", "/api/v1/admin/units", None),
    ("POST", "/api/v1/admin/units", {"code": "x_unit", "name": "x", "kind": "department"}),
    ("PATCH", "/api/v1/admin/units/{unit}", {"name": "x"}),
    ("GET", "/api/v1/admin/responsibility", None),
    ("POST", "/api/v1/admin/responsibility", {"matter_code": "06001", "unit_id": 1}),
    ("PUT", "/api/v1/admin/responsibility/{rule}", {"unit_id": 1}),
    ("DELETE", "/api/v1/admin/responsibility/{rule}", None),
    ("GET", "/api/v1/admin/routing?town_code=441900003&matter_code=06042", None),
    ("GET", "/api/v1/admin/time-limits", None),
    ("PUT", "/api/v1/admin/time-limits/06042", {"stages": {"handle": None}}),
    ("GET", "/api/v1/admin/stations", None),
    ("POST", "/api/v1/admin/stations", {"name": "x", "lat": 23.0159, "lon": 113.7796}),
    ("PUT", "/api/v1/admin/stations/{station}", {"name": "x", "lat": 23.0159, "lon": 113.7796}),
    ("DELETE", "/api/v1/admin/stations/{station}", None),
    ("GET", "/api/v1/admin/api-keys", None),
    ("POST", "/api/v1/admin/api-keys", {"name": "x"}),
    ("POST", "/api/v1/admin/api-keys/{key}/revoke", None),
    ("GET", "/api/v1/admin/audit", None),
]

OTHER_ROLES = [r for r in Role if r is not Role.admin]


@pytest.fixture
def ids(session: Session, admin_user: User) -> dict[str, int]:
    from urbanops.areas.models import Responsibility, ServiceStation, Unit

    key, _ = identity.create_api_key(session, "12345 平台")
    station = ServiceStation(name="驿站", lat=23.0159, lon=113.7796, amenities=[])
    session.add(station)
    session.flush()
    return {
        "user": admin_user.id,
        "unit": session.scalar(select(func.min(Unit.id))) or 0,
        "rule": session.scalar(select(func.min(Responsibility.id))) or 0,
        "station": station.id,
        "key": key.id,
    }


def _call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers)


def _fill(path: str, body: Any, ids: dict[str, int]) -> tuple[str, Any]:
    path = path.format(**ids)
    if body and body.get("password") == "{password}":
        body = {**body, "password": strong_password()}
    return path, body


@pytest.mark.parametrize("role", OTHER_ROLES, ids=str)
def test_every_admin_endpoint_refuses_every_other_role(
    client: TestClient, session: Session, ids: dict[str, int], role: Role
) -> None:
    identity.create_user(
        session,
        username=f"t_{role}",
        password=PASSWORD,
        display_name=str(role),
        roles=[role],
        unit_id=ids["unit"],
    )
    headers = token(client, f"t_{role}")
    users = session.scalar(select(func.count()).select_from(User))
    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    for method, path, body in ENDPOINTS:
        url, data = _fill(path, body, ids)
        r = _call(client, method, url, data, headers)
        assert r.status_code == 403, (method, url, r.status_code, r.text)
        assert r.json()["code"] == "admin_only"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    assert session.scalar(select(func.count()).select_from(User)) == users
    assert session.get(ApiKey, ids["key"]).revoked_at is None  # type: ignore[union-attr]


def test_without_a_token_every_admin_endpoint_answers_401(
    client: TestClient, ids: dict[str, int]
) -> None:
    for method, path, body in ENDPOINTS:
        url, data = _fill(path, body, ids)
        r = _call(client, method, url, data, {})
        assert r.status_code == 401, (method, url, r.status_code)


def test_an_api_key_is_shown_once_works_and_is_revoked(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    r = client.post("/api/v1/admin/api-keys", headers=admin, json={"name": "省平台"})
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["secret"].startswith(key["prefix"])
    listed = client.get("/api/v1/admin/api-keys", headers=admin)
    assert key["secret"] not in listed.text and key["prefix"] in listed.text
    # the key opens the API for another system
    report = {"lat": 22.8191, "lon": 113.6968, "matter_code": "06042", "description": "垃圾满了"}
    r = client.post("/api/v1/reports", json=report, headers={"X-API-Key": key["secret"]})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/admin/api-keys/{key['id']}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = client.post("/api/v1/reports", json=report, headers={"X-API-Key": key["secret"]})
    problem(r, 401, "invalid_api_key")
    r = client.post(f"/api/v1/admin/api-keys/{key['id']}/revoke", headers=admin)
    problem(r, 409, "api_key_revoked")
    created, revoked = audit_rows(session, "api_key", key["id"])
    assert created.after == {"name": "省平台", "prefix": key["prefix"]}
    assert revoked.change == "revoke" and key["secret"] not in str(created.after)


def test_the_audit_trail_is_filtered_and_paged(
    client: TestClient, admin: dict[str, str], admin_user: User
) -> None:
    for name in ("甲", "乙", "丙"):
        client.post("/api/v1/admin/api-keys", headers=admin, json={"name": name})
    client.put(
        "/api/v1/admin/time-limits/06042",
        headers=admin,
        json={"stages": {"handle": {"amount": 3, "unit": "working_days"}}},
    )
    mine = {"user_id": admin_user.id}
    everything = client.get("/api/v1/admin/audit", headers=admin, params=mine).json()
    assert [e["entity"] for e in everything] == ["time_limit", "api_key", "api_key", "api_key"]
    assert all(e["user_id"] == admin_user.id and e["actor"] == "管理员甲" for e in everything)
    keys = client.get("/api/v1/admin/audit", headers=admin, params={"entity": "api_key"}).json()
    assert [e["after"]["name"] for e in keys] == ["丙", "乙", "甲"]
    page = client.get(
        "/api/v1/admin/audit",
        headers=admin,
        params={"entity": "api_key", "limit": 2, "before_id": keys[0]["id"]},
    ).json()
    assert [e["after"]["name"] for e in page] == ["乙", "甲"]
    one = client.get(
        "/api/v1/admin/audit", headers=admin, params={"entity": "time_limit", "entity_key": "06042"}
    ).json()
    assert one[0]["after"] == {"handle": {"amount": 3.0, "unit": "working_days"}}
    r = client.get("/api/v1/admin/audit", headers=admin, params={"since": "0001-01-01T00:00:00Z"})
    assert r.status_code == 422


def test_a_changed_channel_and_a_published_calendar_year_are_audited(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    r = client.put("/api/v1/channels/hrss", headers=admin, json={"is_active": False})
    assert r.status_code == 200, r.text
    [entry] = audit_rows(session, "channel", "hrss")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
