"""Staff sign-in through the API: the page session cookie, its refusal across sites, signing
out, the profile with role labels, and changing one's password."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.identity.models import StaffSession
from urbanops.identity.staff import STAFF_COOKIE

from ..conftest import PASSWORD, Staff, token

NEW_PASSWORD = "Changed-Pass-2026"


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    r = client.post("/api/v1/auth/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_page_session_is_an_http_only_strict_cookie(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    r = client.post("/api/v1/auth/session", json={"username": "t_dongcheng", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{STAFF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    body = r.json()
    assert body["username"] == "t_dongcheng"
    assert body["role_labels"] == [{"code": "handler", "label": "处置人员", "label_en": "Handler"}]
    assert body["unit_code"] == "branch_441900003" and body["town_code"] == "441900003"
    assert body["town_name"] == "东城街道"
    # the cookie alone signs the next requests in
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "t_dongcheng"
    assert client.get("/api/v1/cases").status_code == 200


def test_a_wrong_password_sets_no_cookie(client: TestClient, staff: dict[str, Staff]) -> None:
    r = client.post("/api/v1/auth/session", json={"username": "t_clerk", "password": "Wrong-1a"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials", r.text
    assert "set-cookie" not in r.headers
    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_ends_the_session_on_the_server(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    sign_in(client, "t_clerk")
    stolen = client.cookies.get(STAFF_COOKIE)
    assert stolen
    assert client.delete("/api/v1/auth/session").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    # the cookie's value, replayed, no longer works: the server forgot it
    client.cookies.set(STAFF_COOKIE, stolen)
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "session_expired"
    assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_a_cookie_sent_from_another_site_changes_nothing(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    sign_in(client, "t_chief")
    report = {"lat": 23.0159, "lon": 113.7796, "matter_code": "06042"}
    before = client.get("/api/v1/cases").json()["total"]
    r = client.post("/api/v1/reports", json=report, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["code"] == "cross_site_request", r.text
    assert client.get("/api/v1/cases").json()["total"] == before
    # the page's own origin is fine, and reading never needs it
    ok = client.post("/api/v1/reports", json=report, headers={"Origin": "http://testserver"})
    assert ok.status_code == 201, ok.text
    got = client.get("/api/v1/cases", headers={"Origin": "https://evil.example"})
    assert got.json()["total"] == before + 1


def test_changing_the_password_ends_the_other_sessions_and_tokens(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    old_bearer = token(client, "t_inspector")
    sign_in(client, "t_inspector")
    r = client.post(
        "/api/v1/auth/password",
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert r.status_code == 200, r.text
    new_bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # this page stays signed in on a new session; the old token is refused
    assert client.get("/api/v1/me").status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=old_bearer).status_code == 401
    assert client.get("/api/v1/me", headers=new_bearer).status_code == 200
    refused = client.post(
        "/api/v1/auth/token", data={"username": "t_inspector", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert sign_in(client, "t_inspector", NEW_PASSWORD)["username"] == "t_inspector"


def test_a_password_change_needs_the_old_password_and_a_strong_new_one(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    bearer = token(client, "t_leader")
    wrong = client.post(
        "/api/v1/auth/password",
        json={"old_password": "Not-The-Old-1", "new_password": NEW_PASSWORD},
        headers=bearer,
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    weak = client.post(
        "/api/v1/auth/password",
        json={"old_password": PASSWORD, "new_password": "password"},
        headers={**bearer, "Accept-Language": "en"},
    )
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password", weak.text
    assert "three" in weak.json()["detail"]
    same = client.post(
        "/api/v1/auth/password",
        json={"old_password": PASSWORD, "new_password": PASSWORD},
        headers=bearer,
    )
    assert same.status_code == 422 and same.json()["code"] == "password_reused"
    # nothing changed: the old password and token still work
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert token(client, "t_leader")
