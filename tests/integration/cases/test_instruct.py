"""批示 (`instruct`): a leader's written instruction lands on the case's staff timeline
through the apply step and tells the unit's staff; anyone else is refused and nothing changes;
a blank instruction is refused naming the field; a closed case takes none."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.queries import case_timeline
from urbanops.cases.workflow import CaseStatus
from urbanops.notifications.models import Notification
from urbanops.notifications.service import notify_case_event

from ...factories import case_in_status
from ..conftest import NOW, Staff, token


def rows(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)) or 0


def test_a_leaders_instruction_lands_on_the_timeline_and_tells_the_unit(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, CaseStatus.in_progress, now=NOW)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/instruct",
        json={"note": "请抓紧办理，今日反馈"},
        headers=token(client, "t_leader"),
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["status"] == "in_progress"  # an event, not a move
    last = detail["timeline"][-1]
    assert (last["action"], last["action_label"], last["note"]) == (
        "instruct",
        "批示",
        "请抓紧办理，今日反馈",
    )
    assert last["actor_label"] == "leader" and last["public"] is False
    event = session.get(CaseEvent, last["id"])
    assert event is not None
    notify_case_event(session, event.id, now=event.at)
    session.flush()
    told = session.scalars(select(Notification).where(Notification.event_id == event.id)).all()
    assert {(n.recipient_kind, n.recipient_id) for n in told} == {
        ("user", staff["dongcheng"].actor.id)
    }
    assert "批示" in told[0].title and "请抓紧办理" in told[0].body
    # staff only: not on the citizen's timeline nor in Open311
    public = case_timeline(session, case.id, public_only=True).events
    assert "instruct" not in {e.action for e in public}


def test_a_handler_may_not_instruct_and_nothing_changes(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, CaseStatus.in_progress, now=NOW)
    before = rows(session, case)
    for who in ("t_dongcheng", "t_dispatcher", "t_chief"):
        r = client.post(
            f"/api/v1/cases/{case.id}/actions/instruct",
            json={"note": "请抓紧办理"},
            headers=token(client, who),
        )
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "role_not_allowed"
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/instruct",
        json={"note": "请抓紧办理"},
        headers={**token(client, "t_humen"), "Accept-Language": "en"},
    )
    assert r.status_code == 403 and r.json()["detail"] == "your role may not do this"
    session.expire_all()
    assert rows(session, case) == before
    assert session.get(Case, case.id).updated_at == case.updated_at  # type: ignore[union-attr]


def test_an_instruction_needs_its_text(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)
    before = rows(session, case)
    for body in ({}, {"note": "   "}):
        r = client.post(
            f"/api/v1/cases/{case.id}/actions/instruct",
            json=body,
            headers=token(client, "t_leader"),
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "missing_field" and r.json()["field"] == "note"
        assert "批示内容" in r.json()["detail"]
    assert rows(session, case) == before


def test_a_closed_case_takes_no_instruction(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, CaseStatus.closed, now=NOW)
    before = rows(session, case)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/instruct",
        json={"note": "请核实"},
        headers=token(client, "t_leader"),
    )
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed", r.text
    assert rows(session, case) == before
