"""The citizen app's routes after the split by domain: the case view offers a dispute exactly
when the reopen verb accepts one, shows only public timeline rows, answers a merged case with
the case it joined; the inbox, the profile and the stations answer at the app's URLs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.areas.models import ServiceStation
from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseAction
from urbanops.core.settings import get_settings
from urbanops.core.web import get_now
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM
from urbanops.notifications.models import Notification
from urbanops.notifications.service import notify_case_event

from ..conftest import NOW, Staff

HUMEN = {"lat": 22.8191, "lon": 113.6968}


@pytest.fixture
def app_at_now(client: TestClient) -> Iterator[TestClient]:
    """The client with the request clock at NOW, when the test's cases were closed."""
    app = cast(FastAPI, client.app)
    app.dependency_overrides[get_now] = lambda: NOW
    yield client
    app.dependency_overrides.pop(get_now, None)


def citizen(session: Session, phone: str) -> tuple[Citizen, dict[str, str]]:
    person = Citizen(phone=phone, nickname=f"市民{phone[-4:]}", created_at=NOW)
    session.add(person)
    session.flush()
    raw = factories.citizen_token(session, person.id)
    session.commit()
    return person, {"X-Citizen-Token": raw}


def report(client: TestClient, headers: dict[str, str], key: str, **extra: object) -> int:
    body = {**HUMEN, "matter_code": "06042", "idempotency_key": key, **extra}
    r = client.post("/api/v1/citizen/reports", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return int(r.json()["case_id"])


def close(session: Session, staff: dict[str, Staff], case_id: int, closed_at: datetime) -> None:
    verbs.start_case(session, actor=staff["humen"].actor, now=NOW, case_id=case_id)
    verbs.submit_result(
        session, actor=staff["humen"].actor, now=NOW, case_id=case_id, note="已清理干净"
    )
    verbs.verify_case(session, actor=staff["inspector"].actor, now=NOW, case_id=case_id)
    case = session.get(Case, case_id)
    assert case is not None and case.status == "closed"
    case.closed_at = closed_at
    session.commit()


@pytest.mark.parametrize("past_window", [timedelta(minutes=-1), timedelta(0), timedelta(minutes=1)])
def test_dispute_is_offered_exactly_when_the_reopen_verb_accepts_it(
    app_at_now: TestClient, session: Session, staff: dict[str, Staff], past_window: timedelta
) -> None:
    _, h = citizen(session, "13800001001")
    case_id = report(app_at_now, h, "window-0001")
    window = timedelta(days=get_settings().intake.reopen_window_days)
    close(session, staff, case_id, NOW - window - past_window)

    offered = app_at_now.get(f"/api/v1/citizen/cases/{case_id}", headers=h).json()["can_dispute"]
    r = app_at_now.post(
        f"/api/v1/citizen/cases/{case_id}/dispute", json={"reason": "还是脏"}, headers=h
    )
    assert offered is (past_window <= timedelta(0))
    assert (r.status_code == 200) is offered, r.text
    if not offered:
        assert r.json()["code"] == "reopen_window_passed"


def test_blank_dispute_reason_is_refused_by_the_verb(
    app_at_now: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    _, h = citizen(session, "13800001002")
    case_id = report(app_at_now, h, "blank-0001")
    close(session, staff, case_id, NOW)
    r = app_at_now.post(
        f"/api/v1/citizen/cases/{case_id}/dispute", json={"reason": "   "}, headers=h
    )
    assert r.status_code == 422 and r.json()["code"] == "missing_field", r.text
    assert r.json()["field"] == "reason"


def test_case_view_shows_public_rows_and_answers_a_merged_case_with_its_target(
    app_at_now: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    _, h = citizen(session, "13800001003")
    target = report(app_at_now, h, "merge-0001")
    verbs.supervise(
        session,
        action=CaseAction.urge,
        actor=staff["chief"].actor,
        now=NOW,
        case_id=target,
        note="快办",
    )
    # a report the classifier cannot place waits in triage, and is merged by the clerk
    triaged = report(app_at_now, h, "merge-0002", matter_code=None, description="")
    verbs.merge_case(
        session, actor=staff["clerk"].actor, now=NOW, case_id=triaged, into_case_id=target
    )
    session.commit()

    view = app_at_now.get(f"/api/v1/citizen/cases/{triaged}", headers=h).json()
    assert view["case_id"] == target and view["mine"] and view["supporters"] >= 1
    actions = [item["action"] for item in view["timeline"]]
    assert "urge" not in actions and actions[0] == "submit" and "support" in actions
    mine = app_at_now.get("/api/v1/citizen/reports", headers=h).json()
    assert {m["case_id"]: m["status"] for m in mine} == {target: "dispatched", triaged: "merged"}


def test_inbox_profile_and_stations_answer_at_the_apps_urls(
    app_at_now: TestClient, session: Session
) -> None:
    person, h = citizen(session, "13800001004")
    other, other_h = citizen(session, "13800001005")
    mine = report(app_at_now, h, "inbox-0001")
    theirs = report(app_at_now, other_h, "inbox-0002", lat=22.9, lon=113.7)
    verbs.start_case(session, actor=SYSTEM, now=NOW, case_id=mine)
    verbs.start_case(session, actor=SYSTEM, now=NOW, case_id=theirs)
    # each event's notifications, as the job after commit writes them
    for event_id in session.scalars(
        select(CaseEvent.id).where(CaseEvent.case_id.in_([mine, theirs]))
    ):
        notify_case_event(session, event_id, now=NOW)
    session.commit()

    inbox = app_at_now.get("/api/v1/citizen/notifications", headers=h).json()
    assert inbox and {n["case_id"] for n in inbox} == {mine}
    assert not any(n["read"] for n in inbox)
    assert app_at_now.post("/api/v1/citizen/notifications/read", headers=h).status_code == 204
    assert all(n["read"] for n in app_at_now.get("/api/v1/citizen/notifications", headers=h).json())
    unread = session.scalars(
        select(Notification.id).where(
            Notification.recipient_kind == "citizen",
            Notification.recipient_id == other.id,
            Notification.read_at.is_(None),
        )
    ).all()
    assert unread  # the other citizen's inbox is left as it was

    me = app_at_now.patch("/api/v1/citizen/me", json={"nickname": "老王"}, headers=h)
    assert me.status_code == 200 and me.json()["nickname"] == "老王"
    assert me.json()["phone_masked"] == "138****1004"
    assert app_at_now.get("/api/v1/citizen/me", headers=h).json()["id"] == person.id

    session.add(ServiceStation(name="虎门测试驿站", town_code="441900121", lat=22.82, lon=113.69))
    session.commit()
    humen = app_at_now.get("/api/v1/citizen/stations", params={"town_code": "441900121"}).json()
    assert "虎门测试驿站" in [s["name"] for s in humen]
    assert {s["town_code"] for s in humen} == {"441900121"}
