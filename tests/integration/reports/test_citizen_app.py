"""The citizen app's API: sign-in, photos, reports, follow, rate, dispute, privacy."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases import queries, verbs
from urbanops.identity.models import OtpChallenge, PhoneReveal
from urbanops.notifications.delivery import deliver_sms
from urbanops.notifications.models import OutboundSms
from urbanops.notifications.ports import _console

from ..conftest import NOW, PASSWORD, Staff, token

HUMEN = {"lat": 22.8191, "lon": 113.6968}


def sign_in(client: TestClient, session: Session, phone: str) -> dict[str, str]:
    assert client.post("/api/v1/citizen/otp", json={"phone": phone}).status_code == 200
    # the code leaves through the send_sms job after commit: run its body here
    pending = session.scalars(
        select(OutboundSms.id).where(OutboundSms.phone == phone, OutboundSms.status == "pending")
    ).all()
    assert [deliver_sms(session, sms_id, NOW) for sms_id in pending] == [True]
    sms = [text for to, text in _console.sent if to == phone][-1]
    code = re.search(r"\d{6}", sms).group(0)  # type: ignore[union-attr]
    r = client.post("/api/v1/citizen/session", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    return {"X-Citizen-Token": r.cookies.get("uo_citizen") or client.cookies.get("uo_citizen")}


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (80, 80, 80)).save(buf, "JPEG")
    return buf.getvalue()


def test_sign_in_refuses_bad_phone_wrong_code_and_counts_attempts(
    client: TestClient, session: Session
) -> None:
    r = client.post("/api/v1/citizen/otp", json={"phone": "12345"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_phone"
    client.post("/api/v1/citizen/otp", json={"phone": "13700001111"})
    r = client.post("/api/v1/citizen/otp", json={"phone": "13700001111"})
    assert r.status_code == 429 and r.json()["code"] == "otp_too_soon"
    for left in (4, 3):
        r = client.post("/api/v1/citizen/session", json={"phone": "13700001111", "code": "000000"})
        assert r.status_code == 401 and r.json()["attempts_left"] == left
    attempts = session.scalar(
        select(OtpChallenge.attempts).where(OtpChallenge.phone == "13700001111")
    )
    assert attempts == 2  # failed attempts are kept, not rolled back
    assert client.get("/api/v1/citizen/me").status_code == 401


def test_report_with_photo_follow_to_closure_rate(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    h = sign_in(client, session, "13800000001")
    photo = client.post(
        "/api/v1/citizen/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=h
    )
    assert photo.status_code == 201, photo.text
    body = {
        **HUMEN,
        "category_code": "manhole",
        "description": "井盖冇咗，好危险",
        "photo_ids": [photo.json()["id"]],
        "idempotency_key": "citizen-key-0001",
    }
    r = client.post("/api/v1/citizen/reports", json=body, headers=h)
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["case_number"] and rep["unit_name"] == "虎门城管分局" and rep["due_at"]
    # a retried submit returns the same report
    again = client.post("/api/v1/citizen/reports", json=body, headers=h)
    assert again.status_code == 200 and again.json()["case_id"] == rep["case_id"]

    mine = client.get("/api/v1/citizen/reports", headers=h).json()
    assert [m["case_id"] for m in mine] == [rep["case_id"]]

    handler = token(client, "t_humen")
    client.post(f"/api/v1/cases/{rep['case_id']}/actions/start", json={}, headers=handler)
    after = client.post(
        "/api/v1/photos", files={"photo": ("after.jpg", jpeg(), "image/jpeg")}, headers=handler
    ).json()
    client.post(
        f"/api/v1/cases/{rep['case_id']}/actions/submit_result",
        json={"note": "已更换井盖", "photos": [after["id"]]},
        headers=handler,
    )
    client.post(
        f"/api/v1/cases/{rep['case_id']}/actions/verify",
        json={},
        headers=token(client, "t_inspector"),
    )

    detail = client.get(f"/api/v1/citizen/cases/{rep['case_id']}", headers=h).json()
    assert detail["status"] == "closed" and detail["can_rate"] and detail["can_dispute"]
    assert detail["before_photos"] == [photo.json()["url"]]
    assert detail["after_photos"] == [f"/media/{after['id']}.jpg"]
    assert [e["action"] for e in detail["timeline"]][-1] == "verify"
    rated = client.post(
        f"/api/v1/citizen/cases/{rep['case_id']}/rate",
        json={"rating": 5, "comment": "好快"},
        headers=h,
    )
    assert rated.json()["rating"] == 5 and not rated.json()["can_rate"]
    again = client.post(
        f"/api/v1/citizen/cases/{rep['case_id']}/rate", json={"rating": 4}, headers=h
    )
    assert again.status_code == 409


def test_not_fixed_reopens_within_a_week_only(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    h = sign_in(client, session, "13800000002")
    rep = client.post(
        "/api/v1/citizen/reports",
        json={**HUMEN, "matter_code": "06042", "idempotency_key": "k-0002-abcd"},
        headers=h,
    ).json()
    for who, action, body in [
        ("t_humen", "start", {}),
        ("t_humen", "submit_result", {"note": "清理完毕"}),
        ("t_inspector", "verify", {}),
    ]:
        client.post(
            f"/api/v1/cases/{rep['case_id']}/actions/{action}",
            json=body,
            headers=token(client, who),
        )
    photo = client.post(
        "/api/v1/citizen/photos", files={"photo": ("b.png", jpeg(), "image/png")}, headers=h
    ).json()
    r = client.post(
        f"/api/v1/citizen/cases/{rep['case_id']}/dispute",
        json={"reason": "垃圾还在", "photo_ids": [photo["id"]]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reopened"
    # another citizen cannot see or dispute it
    other = sign_in(client, session, "13800000003")
    assert client.get(f"/api/v1/citizen/cases/{rep['case_id']}", headers=other).status_code == 404


def test_dispute_after_the_window_is_refused(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    h = sign_in(client, session, "13800000004")
    rep = client.post(
        "/api/v1/citizen/reports",
        json={**HUMEN, "matter_code": "06042", "idempotency_key": "k-0004-abcd"},
        headers=h,
    ).json()
    case_id = rep["case_id"]
    steps: list[tuple[str, Callable[..., object], dict[str, Any]]] = [
        ("humen", verbs.start_case, {}),
        ("humen", verbs.submit_result, {"note": "ok"}),
        ("inspector", verbs.verify_case, {}),
    ]
    for who, fn, kw in steps:
        fn(session, actor=staff[who].actor, now=NOW, case_id=case_id, **kw)
    citizen = queries.get_case(session, case_id)
    citizen.closed_at = NOW - timedelta(days=8)
    r = client.post(
        f"/api/v1/citizen/cases/{case_id}/dispute", json={"reason": "还是坏的"}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "reopen_window_passed"


def test_bad_photos_and_foreign_photo_ids_are_refused(client: TestClient, session: Session) -> None:
    h = sign_in(client, session, "13800000005")
    r = client.post(
        "/api/v1/citizen/photos", files={"photo": ("x.gif", b"GIF89a....", "image/gif")}, headers=h
    )
    assert r.status_code == 422 and r.json()["code"] in ("photo_unreadable", "photo_format")
    r = client.post(
        "/api/v1/citizen/reports",
        json={
            **HUMEN,
            "matter_code": "06042",
            "photo_ids": ["deadbeef"],
            "idempotency_key": "k-0005-abcd",
        },
        headers=h,
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_photo"
    r = client.post(
        "/api/v1/citizen/reports",
        json={
            "lat": 23.13,
            "lon": 113.26,
            "matter_code": "06042",
            "idempotency_key": "k-0005-abce",
        },
        headers=h,
    )
    assert r.status_code == 422 and r.json()["code"] == "outside_service_area"


def test_staff_see_masked_phones_and_reveal_is_logged(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    h = sign_in(client, session, "13800000006")
    me = client.get("/api/v1/citizen/me", headers=h).json()
    assert me["phone_masked"] == "138****0006"
    body = {**HUMEN, "category_code": "manhole", "idempotency_key": "citizen-key-0006"}
    reported = client.post("/api/v1/citizen/reports", json=body, headers=h)
    assert reported.status_code == 201, reported.text
    ask = {"case_id": reported.json()["case_id"], "reason": "回访"}
    r = client.post(
        f"/api/v1/citizens/{me['id']}/reveal-phone", json=ask, headers=token(client, "t_chief")
    )
    assert r.status_code == 403
    before = session.scalar(select(func.count()).select_from(PhoneReveal)) or 0
    from urbanops.identity import service as identity
    from urbanops.identity.roles import Role

    identity.create_user(
        session,
        username="t_revealer",
        password=PASSWORD,
        display_name="r",
        roles=[Role.shift_chief, Role.reveal_phone],
    )
    r = client.post(
        f"/api/v1/citizens/{me['id']}/reveal-phone", json=ask, headers=token(client, "t_revealer")
    )
    assert r.json()["phone"] == "13800000006"
    assert session.scalar(select(func.count()).select_from(PhoneReveal)) == before + 1


def test_stations_are_listed_with_demo_marker(client: TestClient, session: Session) -> None:
    from urbanops.bootstrap import load_demo_stations

    load_demo_stations(session)
    stations = client.get("/api/v1/citizen/stations").json()
    assert stations and all(s["is_demo"] and "演示" in s["name"] for s in stations)
    assert {"water", "toilet"} <= set(stations[0]["amenities"])
