"""The leaders' lists: the urged and escalated open cases in a leader's charge (latest first,
who and why), and the overdue counts by town and by unit; only leaders (and admins) see them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.cases.sweep import sweep
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.identity.roles import Role

from ...factories import DONGCHENG, HUMEN, case_in_status, staff_member
from ..conftest import NOW, Staff, token


def test_leaders_see_the_supervised_cases_in_their_charge_latest_first(
    session: Session, client: TestClient, staff: dict[str, Staff], unit_ids: dict[str, int]
) -> None:
    staff_member(session, "sv_dc_leader", [Role.leader], unit_id=unit_ids["branch_441900003"])
    chief, leader = staff["chief"].actor, staff["leader"].actor
    urged = case_in_status(session, CaseStatus.dispatched, now=NOW)
    escalated = case_in_status(session, CaseStatus.in_progress, now=NOW, where=HUMEN)
    quiet = case_in_status(session, CaseStatus.dispatched, now=NOW)
    closed = case_in_status(session, CaseStatus.awaiting_verification, now=NOW)
    later = NOW + timedelta(minutes=5)
    verbs.supervise(session, actor=chief, now=NOW, case_id=closed.id, action=CaseAction.urge)
    verbs.verify_case(session, actor=staff["inspector"].actor, now=NOW, case_id=closed.id)
    verbs.supervise(
        session, actor=chief, now=NOW, case_id=urged.id, action=CaseAction.urge, note="第一次"
    )
    verbs.supervise(
        session,
        actor=leader,
        now=later,
        case_id=escalated.id,
        action=CaseAction.escalate,
        note="群众反映强烈",
    )
    verbs.supervise(
        session,
        actor=chief,
        now=later + timedelta(minutes=1),
        case_id=urged.id,
        action=CaseAction.urge,
        note="再次督办",
    )

    r = client.get("/api/v1/leader/supervised", headers=token(client, "t_leader"))
    assert r.status_code == 200, r.text
    page = r.json()
    ours = {urged.number, escalated.number, quiet.number, closed.number}
    # (other tests may have committed supervised cases of their own)
    items = [i for i in page["items"] if i["number"] in ours]
    assert [i["number"] for i in items] == [urged.number, escalated.number]
    assert page["total"] >= 2
    first, second = items
    assert (first["last_action"], first["last_action_label"], first["last_note"]) == (
        "urge",
        "督办",
        "再次督办",
    )
    assert (first["last_by"], first["urges"], first["escalations"]) == ("chief", 2, 0)
    assert (second["last_action_label"], second["last_by"], second["escalations"]) == (
        "提级",
        "leader",
        1,
    )
    assert second["town_name"] == "虎门镇" and second["unit_name"] == "虎门城管分局"

    # 东城's leader is in charge of 东城's cases only
    mine = client.get("/api/v1/leader/supervised", headers=token(client, "sv_dc_leader")).json()
    assert [i["number"] for i in mine["items"] if i["number"] in ours] == [urged.number]
    assert escalated.number not in str(mine)


def test_overdue_counts_by_town_and_unit(
    session: Session, client: TestClient, staff: dict[str, Staff], unit_ids: dict[str, int]
) -> None:
    staff_member(session, "sv_hm_leader", [Role.leader], unit_id=unit_ids["branch_441900121"])
    old = NOW - timedelta(days=10)
    for where in (DONGCHENG, DONGCHENG, HUMEN):
        case_in_status(session, CaseStatus.dispatched, now=old, matter_code="09006", where=where)
    case_in_status(session, CaseStatus.dispatched, now=NOW)  # not overdue
    sweep(session, NOW, batch=10_000)
    session.flush()

    city = client.get("/api/v1/leader/overdue", headers=token(client, "t_leader")).json()
    towns = {t["name"]: t["overdue"] for t in city["by_town"]}
    units = {u["name"]: u["overdue"] for u in city["by_unit"]}
    assert towns["东城街道"] == 2 and towns["虎门镇"] == 1
    assert city["total"] == sum(towns.values()) == sum(units.values())
    assert city["by_town"][0]["overdue"] >= city["by_town"][-1]["overdue"]  # most first

    humen = client.get("/api/v1/leader/overdue", headers=token(client, "sv_hm_leader")).json()
    assert [(t["name"], t["overdue"]) for t in humen["by_town"]] == [("虎门镇", 1)]
    assert humen["total"] == 1


def test_only_leaders_see_the_leaders_lists(client: TestClient, staff: dict[str, Staff]) -> None:
    for who in ("t_dongcheng", "t_dispatcher", "t_chief"):
        for path in ("/api/v1/leader/supervised", "/api/v1/leader/overdue"):
            r = client.get(path, headers=token(client, who))
            assert r.status_code == 403 and r.json()["code"] == "not_a_leader", r.text
    assert client.get("/api/v1/leader/supervised").status_code == 401
