"""What the field phone relies on: handlers upload photos and submit a result with before and
after photos (the citizen's 处置前 / 处置后 tell them apart), an action sent again with the same
`Idempotency-Key` answers as the first time and is taken once, and a handler of another town
can neither act on a case nor attach photos to it (nothing changes)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import ActionRequest, Case, CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.core.geo import Datum, from_wgs84

from ...factories import HUMEN, case_in_status
from ..conftest import NOW, Staff, token
from ..reports.test_photo_refs import citizen, upload

S = CaseStatus


def events(session: Session, case_id: int, action: str | None = None) -> int:
    q = select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id)
    if action:
        q = q.where(CaseEvent.action == action)
    return session.scalar(q) or 0


def keys(session: Session, case_id: int) -> int:
    """How many idempotency keys are kept for the case's actions."""
    q = select(func.count()).select_from(ActionRequest).where(ActionRequest.case_id == case_id)
    return session.scalar(q) or 0


def humen_case(session: Session, status: CaseStatus, **kw: Any) -> Case:
    case = case_in_status(session, status, now=NOW, where=HUMEN, **kw)
    session.commit()
    return case


def test_a_handler_submits_before_and_after_photos_and_the_citizen_sees_them_apart(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    person, citizen_headers = citizen(session, "13900000011")
    case = humen_case(session, S.in_progress, reporter=person)
    handler = token(client, "t_humen")
    before, after = upload(client, handler), upload(client, handler)

    r = client.post(
        f"/api/v1/cases/{case.id}/actions/submit_result",
        json={"note": "已清理", "before_photos": [before["id"]], "photos": [after["id"]]},
        headers=handler,
    )

    assert r.status_code == 200, r.text
    row = r.json()["timeline"][-1]
    assert row["action"] == "submit_result"
    assert row["attachments"] == [after["url"], before["url"]]
    assert row["before_photos"] == [before["url"]]
    # navigation apps take their own datums: the point converted where it leaves the server
    points = r.json()["map_points"]
    assert points["gcj02"] == list(from_wgs84(case.lat, case.lon, Datum.gcj02))
    assert points["bd09"] == list(from_wgs84(case.lat, case.lon, Datum.bd09))
    seen = client.get(f"/api/v1/citizen/cases/{case.id}", headers=citizen_headers).json()
    assert seen["after_photos"] == [after["url"]]
    assert before["url"] in seen["before_photos"] and after["url"] not in seen["before_photos"]


def test_the_same_idempotency_key_answers_the_same_and_acts_once(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = humen_case(session, S.dispatched)
    handler = token(client, "t_humen") | {"Idempotency-Key": "phone-1-start-0001"}
    url = f"/api/v1/cases/{case.id}/actions/start"

    first = client.post(url, headers=handler)
    again = client.post(url, headers=handler)

    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert events(session, case.id, "start") == 1
    # the key belongs to that request: another action with it is refused, nothing taken
    other = client.post(
        f"/api/v1/cases/{case.id}/actions/submit_result", json={"note": "好了"}, headers=handler
    )
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    session.refresh(case)
    assert case.status == S.in_progress and events(session, case.id, "submit_result") == 0


def test_a_refused_action_keeps_no_key_and_can_be_corrected(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = humen_case(session, S.in_progress)
    handler = token(client, "t_humen") | {"Idempotency-Key": "phone-1-result-0002"}
    url = f"/api/v1/cases/{case.id}/actions/submit_result"

    refused = client.post(url, json={"note": "  "}, headers=handler)
    assert refused.status_code == 422 and refused.json()["field"] == "note"
    assert keys(session, case.id) == 0

    done = client.post(url, json={"note": "已清理"}, headers=handler)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == S.awaiting_verification


def test_a_malformed_key_is_refused_in_the_callers_language(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = humen_case(session, S.dispatched)
    headers = token(client, "t_humen") | {"Idempotency-Key": "x", "Accept-Language": "en"}
    r = client.post(f"/api/v1/cases/{case.id}/actions/start", headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_idempotency_key"
    assert "Idempotency-Key must be" in r.json()["detail"]
    session.refresh(case)
    assert case.status == S.dispatched


def test_a_handler_of_another_town_can_neither_act_nor_attach_photos(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = humen_case(session, S.in_progress)
    before = events(session, case.id)
    outsider = token(client, "t_dongcheng")
    photo = upload(client, outsider)  # uploading is the outsider's own; attaching is not

    attach = client.post(
        f"/api/v1/cases/{case.id}/actions/submit_result",
        json={"note": "已清理", "photos": [photo["id"]]},
        headers=outsider,
    )
    keyed = client.post(
        f"/api/v1/cases/{case.id}/actions/return",
        json={"reason": "不归我们"},
        headers=outsider | {"Idempotency-Key": "outsider-return-01"},
    )
    detail = client.get(f"/api/v1/cases/{case.id}", headers=outsider)
    listed = client.get("/api/v1/cases", params={"status": "in_progress"}, headers=outsider)

    assert attach.status_code == keyed.status_code == detail.status_code == 403
    assert attach.json()["code"] == "outside_unit_scope"
    assert case.id not in {c["id"] for c in listed.json()["items"]}
    session.refresh(case)
    assert case.status == S.in_progress and events(session, case.id) == before
    assert keys(session, case.id) == 0
