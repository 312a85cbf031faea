"""What the console asks of the API beyond the case list: the actions a caller may take on a
case now (`allowed_actions`, extension decisions only while one is pending), merging by case
number with nearby candidates, reply templates, and revealing a reporter's phone (logged)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, ReplyTemplate
from urbanops.cases.workflow import CaseStatus
from urbanops.identity.models import PhoneReveal
from urbanops.identity.roles import Role

from ...factories import DONGCHENG, case_in_status, citizen, report_case, staff_member
from ..conftest import NOW, Staff, token

S = CaseStatus
ASK = {"amount": 2, "unit": "working_days", "reason": "需要协调产权单位"}


def detail(client: TestClient, who: str, case_id: int) -> Any:
    r = client.get(f"/api/v1/cases/{case_id}", headers=token(client, who))
    assert r.status_code == 200, r.text
    return r.json()


def act(client: TestClient, who: str, case_id: int, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=token(client, who)
    )


def test_extension_decisions_are_offered_only_while_a_request_is_pending(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, S.dispatched, now=NOW)
    before = detail(client, "t_dispatcher", case.id)
    assert "approve_extension" not in before["allowed_actions"]
    assert "reject_extension" not in before["allowed_actions"]
    assert before["pending_extension"] is None
    assert "request_extension" in detail(client, "t_dongcheng", case.id)["allowed_actions"]

    assert act(client, "t_dongcheng", case.id, "request_extension", **ASK).status_code == 200
    pending = detail(client, "t_dispatcher", case.id)
    assert {"approve_extension", "reject_extension"} <= set(pending["allowed_actions"])
    assert pending["pending_extension"]["reason"] == ASK["reason"]
    assert pending["pending_extension"]["amount"] == 2
    # the handler may not decide, and may not ask twice
    handler = detail(client, "t_dongcheng", case.id)["allowed_actions"]
    assert "request_extension" not in handler and "approve_extension" not in handler

    # every action offered is one the server then takes
    r = act(client, "t_dispatcher", case.id, "approve_extension", note="同意")
    assert r.status_code == 200, r.text
    assert "approve_extension" not in r.json()["allowed_actions"]
    assert r.json()["pending_extension"] is None


def test_offered_actions_are_the_ones_authorize_allows(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, S.dispatched, now=NOW)  # 东城城管分局
    assert "start" in detail(client, "t_dongcheng", case.id)["allowed_actions"]
    assert "start" not in detail(client, "t_dispatcher", case.id)["allowed_actions"]
    # another town's handler does not see the case at all
    r = client.get(f"/api/v1/cases/{case.id}", headers=token(client, "t_humen"))
    assert r.status_code in (403, 404)


def test_merge_by_case_number(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    target = case_in_status(session, S.dispatched, now=NOW)
    dup = case_in_status(session, S.reported, now=NOW)
    supporters = target.supporters
    r = act(client, "t_clerk", dup.id, "merge", into_number=target.number, note="同一处")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged" and r.json()["merged_into_id"] == target.id
    session.refresh(target)
    assert target.supporters == supporters + 1


def test_merge_by_an_unknown_number_says_so_and_changes_nothing(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    dup = case_in_status(session, S.reported, now=NOW)
    r = act(client, "t_clerk", dup.id, "merge", into_number="20990101999999")
    assert r.status_code == 422 and r.json()["code"] == "unknown_case_number", r.text
    assert "20990101999999" in r.json()["detail"]
    assert r.json()["field"] == "into_number"
    r = act(client, "t_clerk", dup.id, "merge")
    assert r.status_code == 422 and r.json()["code"] == "missing_field", r.text
    session.expire_all()
    assert session.get(Case, dup.id).status == "reported"  # type: ignore[union-attr]


def test_merge_candidates_are_near_open_and_of_the_same_class(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    lat, lon = DONGCHENG
    case = report_case(session, now=NOW, where=(lat, lon), matter_code=None).case
    case.matter_code = "06042"  # as a clerk's accept would set it
    near = case_in_status(session, S.dispatched, now=NOW, where=(lat + 0.0005, lon))  # ~55 m
    far = case_in_status(session, S.dispatched, now=NOW, where=(lat + 0.01, lon))  # ~1.1 km
    other_class = case_in_status(
        session, S.dispatched, now=NOW, where=(lat, lon + 0.0005), matter_code="01001"
    )
    closed = case_in_status(session, S.closed, now=NOW, where=(lat - 0.0004, lon))
    session.flush()
    r = client.get(f"/api/v1/cases/{case.id}/merge-candidates", headers=token(client, "t_clerk"))
    assert r.status_code == 200, r.text
    found = {c["id"]: c for c in r.json()}
    assert near.id in found and found[near.id]["number"] == near.number
    assert 40 < found[near.id]["distance_m"] < 70
    assert found[near.id]["matter_name"]
    for excluded in (far.id, other_class.id, closed.id, case.id):
        assert excluded not in found
    distances = [c["distance_m"] for c in r.json()]
    assert distances == sorted(distances)
    # a handler of another town is refused
    r = client.get(f"/api/v1/cases/{case.id}/merge-candidates", headers=token(client, "t_humen"))
    assert r.status_code == 403


def test_reply_templates_by_matter_and_status(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    h = token(client, "t_dispatcher")
    r = client.get("/api/v1/reply-templates?matter_code=06042&status=dispatched", headers=h)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert rows, "the seeded templates"
    assert all(t["matter_code"] in (None, "06042") for t in rows)
    assert all(t["status"] in (None, "dispatched") for t in rows)
    assert rows[0]["matter_code"] == "06042"  # the most specific first
    assert any(t["status"] == "dispatched" for t in rows)
    other = client.get("/api/v1/reply-templates?status=closed", headers=h).json()
    assert other and all(t["status"] in (None, "closed") for t in other)
    assert not any(t["status"] == "dispatched" for t in other)


def test_only_the_shift_chief_writes_reply_templates(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    count = session.scalar(select(func.count()).select_from(ReplyTemplate))
    body = {
        "title": "夜间施工",
        "body": "请核实施工许可并劝导停止夜间施工。",
        "status": "dispatched",
    }
    r = client.post("/api/v1/reply-templates", json=body, headers=token(client, "t_clerk"))
    assert r.status_code == 403, r.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ReplyTemplate)) == count
    bad = {**body, "matter_code": "99999"}
    r = client.post("/api/v1/reply-templates", json=bad, headers=token(client, "t_chief"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_matter"
    r = client.post("/api/v1/reply-templates", json=body, headers=token(client, "t_chief"))
    assert r.status_code == 201, r.text
    made = r.json()["id"]
    listed = client.get(
        "/api/v1/reply-templates?status=dispatched", headers=token(client, "t_clerk")
    ).json()
    assert made in [t["id"] for t in listed]
    gone = client.delete(f"/api/v1/reply-templates/{made}", headers=token(client, "t_chief"))
    assert gone.status_code == 204
    assert session.scalar(select(func.count()).select_from(ReplyTemplate)) == count


def test_revealing_a_reporters_phone_is_logged(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    person = citizen(session, "13800138123", now=NOW)
    case = report_case(session, now=NOW, matter_code=None, reporter=person).case
    staff_member(session, "t_revealer", [Role.shift_chief, Role.reveal_phone])
    reports = client.get(f"/api/v1/cases/{case.id}/reports", headers=token(client, "t_revealer"))
    assert reports.json()[0]["phone_masked"] != "13800138123"
    path = f"/api/v1/citizens/{person.id}/reveal-phone"
    body = {"case_id": case.id, "reason": "回访核实"}
    refused = client.post(path, json=body, headers=token(client, "t_chief"))
    assert refused.status_code == 403
    r = client.post(path, json=body, headers=token(client, "t_revealer"))
    assert r.status_code == 200 and r.json()["phone"] == "13800138123"
    logged = session.scalars(select(PhoneReveal).where(PhoneReveal.citizen_id == person.id)).all()
    assert [(x.case_id, x.reason) for x in logged] == [(case.id, "回访核实")]
