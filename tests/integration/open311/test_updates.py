"""GET servicerequestupdates (mySociety extension): one update per public timeline event."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import extensions, verbs
from urbanops.cases.models import Case
from urbanops.cases.workflow import CaseAction
from urbanops.reports.photos import store_photo

from ..conftest import NOW, Staff
from .conftest import BASE, W3C, post, xml_root


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 20)).save(buf, "JPEG")
    return buf.getvalue()


REQUIRED = {
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
}


def test_updates_follow_the_case_through_handling(
    o311: TestClient, session: Session, api_key: str, staff: dict[str, Staff]
) -> None:
    number = post(o311, api_key).json()[0]["service_request_id"]
    case_id = session.scalars(select(Case.id).where(Case.number == number)).one()
    handler, inspector = staff["humen"].actor, staff["inspector"].actor
    after, after2 = (store_photo(session, jpeg(), now=NOW, user_id=handler.id) for _ in "12")
    verbs.start_case(session, actor=handler, now=NOW + timedelta(hours=1), case_id=case_id)
    # an urge is an internal event: no update for it
    verbs.supervise(
        session,
        action=CaseAction.urge,
        actor=staff["chief"].actor,
        now=NOW + timedelta(hours=2),
        case_id=case_id,
        note="内部督办",
    )
    verbs.submit_result(
        session,
        actor=handler,
        now=NOW + timedelta(hours=3),
        case_id=case_id,
        note="已清运",
        photos=[after.id, f"/media/{after2.id}.jpg"],
    )
    verbs.verify_case(session, actor=inspector, now=NOW + timedelta(hours=4), case_id=case_id)
    session.flush()

    r = o311.get(
        f"{BASE}/servicerequestupdates.json",
        params={"start_date": "2026-03-02T00:00:00+08:00", "end_date": "2026-03-03T00:00:00+08:00"},
    )
    assert r.status_code == 200, r.text
    updates = [u for u in r.json() if u["service_request_id"] == number]
    assert all(u.keys() >= REQUIRED for u in updates)
    assert all(W3C.match(u["updated_datetime"]) for u in updates)
    assert [(u["status"], u["external_status_code"]) for u in updates] == [
        ("open", "reported"),  # submitted
        ("open", "accepted"),
        ("open", "registered"),
        ("in_progress", "dispatched"),
        ("in_progress", "in_progress"),  # the handler starts
        ("investigating", "awaiting_verification"),
        ("fixed", "closed"),
    ]
    assert updates[3]["description"] == "派遣至虎门城管分局"
    assert updates[4]["updated_datetime"] == "2026-03-02T11:00:00+08:00"
    assert updates[5]["description"] == "处置反馈：已清运"
    assert updates[5]["media_url"] == f"http://testserver/media/{after.id}.jpg"
    assert updates[0]["media_url"] == ""
    assert len({u["update_id"] for u in updates}) == len(updates)
    assert not any("督办" in u["description"] for u in updates)

    # the request itself is now closed, updated at the verification
    shown = o311.get(f"{BASE}/requests/{number}.json").json()[0]
    assert (shown["status"], shown["updated_datetime"]) == ("closed", "2026-03-02T14:00:00+08:00")
    assert shown["status_notes"] == "已结案：已清运"

    root = xml_root(
        o311.get(
            f"{BASE}/servicerequestupdates.xml",
            params={
                "start_date": "2026-03-02T11:30:00+08:00",
                "end_date": "2026-03-02T13:30:00+08:00",
            },
        )
    )
    assert root.tag == "service_request_updates"
    items = [
        u for u in root.findall("request_update") if u.findtext("service_request_id") == number
    ]
    assert [u.findtext("status") for u in items] == ["investigating"]
    assert items[0].findtext("media_url") == f"http://testserver/media/{after.id}.jpg"


def test_returned_and_extended_cases_use_extended_statuses(
    o311: TestClient, session: Session, api_key: str, staff: dict[str, Staff]
) -> None:
    number = post(o311, api_key).json()[0]["service_request_id"]
    case_id = session.scalars(select(Case.id).where(Case.number == number)).one()
    handler = staff["humen"].actor
    verbs.start_case(session, actor=handler, now=NOW + timedelta(hours=1), case_id=case_id)
    extensions.request_extension(
        session,
        actor=handler,
        now=NOW + timedelta(hours=2),
        case_id=case_id,
        amount=1,
        unit="working_days",
        reason="需要吊车",
    )
    extensions.decide_extension(
        session,
        actor=staff["dispatcher"].actor,
        now=NOW + timedelta(hours=3),
        case_id=case_id,
        approve=True,
    )
    verbs.return_case(
        session,
        actor=handler,
        now=NOW + timedelta(hours=4),
        case_id=case_id,
        reason="不属于本单位职责",
    )
    session.flush()
    window = {"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-03T00:00:00Z"}
    updates = [
        u
        for u in o311.get(f"{BASE}/servicerequestupdates.json", params=window).json()
        if u["service_request_id"] == number
    ]
    assert [u["status"] for u in updates][-2:] == [
        "action_scheduled",
        "not_councils_responsibility",
    ]
    assert updates[-1]["description"] == "退回：不属于本单位职责"
    shown = o311.get(f"{BASE}/requests/{number}.json").json()[0]
    assert shown["status"] == "open" and shown["status_notes"] == "已退回：不属于本单位职责"
