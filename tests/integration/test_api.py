"""The REST API end to end over HTTP (in-process), with problem+json errors."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from urbanops.identity.service import create_api_key

from .conftest import Staff, token

HUMEN = {"lat": 22.8191, "lon": 113.6968}
PROBLEM = "application/problem+json"


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["database"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/cases/{case_id}/actions/{action}" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]


def test_login_is_refused_with_a_clear_message(client: TestClient, staff: dict[str, Staff]) -> None:
    r = client.post(
        "/api/v1/auth/token", data={"username": "t_clerk", "password": "wrong-password"}
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["detail"] == "用户名或密码错误"
    r = client.post(
        "/api/v1/auth/token",
        data={"username": "t_clerk", "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert r.json()["detail"] == "wrong username or password"


def test_report_to_closure_over_the_api(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    _, key = create_api_key(session, "12345 platform")
    r = client.post(
        "/api/v1/reports",
        json={**HUMEN, "matter_code": "06042", "description": "垃圾满了"},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "dispatched" and body["unit_name"] == "虎门城管分局"
    case_id = body["case_id"]

    handler = token(client, "t_humen")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "JPEG")
    after = client.post(
        "/api/v1/photos", files={"photo": ("a.jpg", buf.getvalue(), "image/jpeg")}, headers=handler
    ).json()
    for action, payload in [
        ("start", {}),
        ("submit_result", {"note": "已清运", "photos": [after["id"]]}),
    ]:
        r = client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=handler)
        assert r.status_code == 200, r.text
    inspector = token(client, "t_inspector")
    r = client.post(f"/api/v1/cases/{case_id}/actions/verify", json={}, headers=inspector)
    assert r.json()["status"] == "closed"

    detail = client.get(f"/api/v1/cases/{case_id}", headers=token(client, "t_chief")).json()
    assert [e["action"] for e in detail["timeline"]] == [
        "submit",
        "accept",
        "register",
        "dispatch",
        "start",
        "submit_result",
        "verify",
    ]
    assert detail["unit_name"] == "虎门城管分局" and detail["town_name"] == "虎门镇"
    # what each role is offered: the shift chief may reopen, the intake clerk may record a rating
    assert detail["allowed_actions"] == ["reopen"]
    as_clerk = client.get(f"/api/v1/cases/{case_id}", headers=token(client, "t_clerk")).json()
    assert set(as_clerk["allowed_actions"]) == {"reopen", "rate"}


def test_workflow_errors_are_problems(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    chief = token(client, "t_chief")
    r = client.post("/api/v1/reports", json={**HUMEN, "matter_code": "06042"}, headers=chief)
    case_id = r.json()["case_id"]
    # wrong state
    r = client.post(
        f"/api/v1/cases/{case_id}/actions/verify", json={}, headers=token(client, "t_inspector")
    )
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    # another unit's handler
    r = client.post(
        f"/api/v1/cases/{case_id}/actions/start", json={}, headers=token(client, "t_dongcheng")
    )
    assert r.status_code == 403 and r.json()["code"] == "outside_unit_scope"
    # unknown action, unknown case, bad body
    assert (
        client.post(f"/api/v1/cases/{case_id}/actions/fly", json={}, headers=chief).json()["code"]
        == "unknown_action"
    )
    assert client.get("/api/v1/cases/999999999", headers=chief).status_code == 404
    r = client.post(f"/api/v1/cases/{case_id}/actions/rate", json={"rating": 9}, headers=chief)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rating"
    # no token
    assert client.get("/api/v1/cases").status_code == 401


def test_bad_reports_are_refused(client: TestClient, staff: dict[str, Staff]) -> None:
    h = token(client, "t_clerk")
    cases = [
        ({"lat": 23.13, "lon": 113.26, "matter_code": "06042"}, 422, "outside_service_area"),
        ({**HUMEN, "matter_code": "99999"}, 422, "unknown_matter"),
        ({**HUMEN, "matter_code": "abc"}, 422, "invalid_input"),
        ({**HUMEN, "datum": "mars"}, 422, "invalid_input"),
        ({"lat": 91, "lon": 113}, 422, "invalid_input"),
        ({**HUMEN, "description": "x" * 4001}, 422, "invalid_input"),
        ({**HUMEN, "unexpected": 1}, 422, "invalid_input"),
        ({**HUMEN, "category_code": "nope"}, 422, "unknown_category"),
    ]
    for body, status, code in cases:
        r = client.post("/api/v1/reports", json=body, headers=h)
        assert (r.status_code, r.json()["code"]) == (status, code), body
    r = client.post(
        "/api/v1/reports", content=b"{not json", headers={**h, "content-type": "application/json"}
    )
    assert r.status_code == 422


def test_case_list_filters_and_unit_scope(client: TestClient, staff: dict[str, Staff]) -> None:
    chief = token(client, "t_chief")
    humen = client.post(
        "/api/v1/reports", json={**HUMEN, "matter_code": "06042"}, headers=chief
    ).json()
    dongcheng = client.post(
        "/api/v1/reports",
        json={"lat": 23.0159, "lon": 113.7796, "matter_code": "06042"},
        headers=chief,
    ).json()
    listed = client.get("/api/v1/cases?status=dispatched&town=441900121", headers=chief).json()
    ids = {c["id"] for c in listed["items"]}
    assert humen["case_id"] in ids and dongcheng["case_id"] not in ids
    mine = client.get("/api/v1/cases", headers=token(client, "t_humen")).json()
    assert {c["unit_id"] for c in mine["items"]} == {humen["unit_id"]}
    r = client.get(f"/api/v1/cases/{dongcheng['case_id']}", headers=token(client, "t_humen"))
    assert r.status_code == 403
    assert client.get("/api/v1/cases?status=bogus", headers=chief).status_code == 422


def test_locate_endpoint(client: TestClient) -> None:
    r = client.get("/api/v1/locate", params=HUMEN)
    assert r.json()["town_code"] == "441900121" and len(r.json()["grid_cell_code"]) == 15
    r = client.get("/api/v1/locate", params={"lat": 23.13, "lon": 113.26})
    assert r.status_code == 422 and r.json()["code"] == "outside_service_area"
