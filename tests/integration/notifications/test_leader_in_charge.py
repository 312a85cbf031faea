"""督办 and 提级 reach the leader in charge (`cases.supervision`): the case's unit's leader,
else a leader of a unit in the case's town, else the city's leaders; never a deactivated one.
Supervision also reaches them off the platform (WeChat when they have a WeChat id, else SMS).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.supervision import leaders_in_charge
from urbanops.cases.workflow import CaseStatus
from urbanops.identity import service as identity
from urbanops.identity.models import User
from urbanops.identity.roles import SYSTEM, Role
from urbanops.notifications.models import Notification, OutboundSms, OutboundWechat
from urbanops.notifications.service import notify_case_event

from ...factories import case_in_status, staff_member
from ..conftest import NOW, PASSWORD, Staff, token
from .contacts import set_contact


@dataclass
class Leaders:
    dongcheng: int  # leader of 东城城管分局 (a unit in 东城)
    humen: int  # leader of 虎门城管分局
    city: int  # the fixture's city leader (no unit)


@pytest.fixture
def leaders(session: Session, staff: dict[str, Staff], unit_ids: dict[str, int]) -> Leaders:
    staff_member(
        session, "lic_gone", [Role.leader], unit_id=unit_ids["branch_441900003"], active=False
    )
    dongcheng = staff_member(session, "lic_dc", [Role.leader], unit_id=unit_ids["branch_441900003"])
    humen = staff_member(session, "lic_hm", [Role.leader], unit_id=unit_ids["branch_441900121"])
    city = staff["leader"].actor.id
    assert city is not None
    return Leaders(dongcheng.id, humen.id, city)


def told(session: Session, case: Case, action: str) -> set[int]:
    row = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == action)
        .order_by(CaseEvent.id.desc())
    ).first()
    assert row is not None
    notify_case_event(session, row.id, now=row.at)
    session.flush()
    return set(
        session.scalars(
            select(Notification.recipient_id).where(
                Notification.event_id == row.id, Notification.recipient_kind == "user"
            )
        )
    )


def test_the_units_own_leader_is_in_charge(session: Session, leaders: Leaders) -> None:
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)  # 东城城管分局
    assert leaders_in_charge(session, case) == [leaders.dongcheng]


def test_a_department_case_goes_to_the_leader_of_the_towns_unit(
    session: Session, leaders: Leaders, unit_ids: dict[str, int]
) -> None:
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)
    verbs.redispatch_case(
        session, actor=SYSTEM, now=NOW, case_id=case.id, unit_id=unit_ids["dept_municipal"]
    )
    assert case.town_code == "441900003"
    assert leaders_in_charge(session, case) == [leaders.dongcheng]


def test_without_a_unit_or_town_leader_the_city_leaders_are_in_charge(
    session: Session, staff: dict[str, Staff]
) -> None:
    city = staff["leader"].actor.id
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)
    found = leaders_in_charge(session, case)
    # the fixture's, and any city leader other tests committed: all without a unit
    assert city in found
    units = session.scalars(select(User.unit_id).where(User.id.in_(found))).all()
    assert len(units) == len(found) and set(units) == {None}


def test_an_urge_reaches_the_units_staff_and_its_leader_not_other_leaders(
    session: Session, client: TestClient, leaders: Leaders, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/urge",
        json={"note": "群众多次反映"},
        headers=token(client, "t_dispatcher"),
    )
    assert r.status_code == 200, r.text
    handler = staff["dongcheng"].actor.id
    assert told(session, case, "urge") == {handler, leaders.dongcheng}


def test_an_escalation_reaches_the_leader_in_charge_by_wechat_or_sms(
    session: Session, client: TestClient, leaders: Leaders, staff: dict[str, Staff]
) -> None:
    set_contact(session, leaders.dongcheng, wecom_userid="DongchengLeader", phone="13800000001")
    handler = staff["dongcheng"].actor.id
    assert handler is not None
    set_contact(session, handler, phone="13800000002")
    case = case_in_status(session, CaseStatus.in_progress, now=NOW)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/escalate",
        json={"note": "久拖未决"},
        headers=token(client, "t_chief"),
    )
    assert r.status_code == 200, r.text
    assert told(session, case, "escalate") == {handler, leaders.dongcheng}
    wechat = session.scalars(select(OutboundWechat)).all()
    assert [(w.wecom_userid, w.status) for w in wechat] == [("DongchengLeader", "pending")]
    assert (
        case.number in wechat[0].text and "提级" in wechat[0].text and "久拖未决" in wechat[0].text
    )
    sms = session.scalars(select(OutboundSms).where(OutboundSms.phone == "13800000002")).all()
    assert len(sms) == 1 and case.number in sms[0].text
    # the leader with a WeChat id gets no SMS besides
    assert not session.scalars(select(OutboundSms).where(OutboundSms.phone == "13800000001")).all()


def test_a_dispatch_stays_in_the_inbox(session: Session, staff: dict[str, Staff]) -> None:
    handler = staff["dongcheng"].actor.id
    assert handler is not None
    set_contact(session, handler, phone="13800000003")
    case = case_in_status(session, CaseStatus.dispatched, now=NOW)
    assert told(session, case, "dispatch") == {handler}
    assert not session.scalars(select(OutboundSms).where(OutboundSms.phone == "13800000003")).all()


def test_area_chiefs_hear_of_the_cases_in_their_patch(
    session: Session, staff: dict[str, Staff], unit_ids: dict[str, int]
) -> None:
    case = case_in_status(session, CaseStatus.reported, now=NOW)
    assert case.grid_cell_code is not None  # (Dongguan's communities have no outlines)

    def area_chief(name: str, grid_cells: list[str]) -> int:
        user = identity.create_user(
            session,
            username=name,
            password=PASSWORD,
            display_name=name,
            roles=[Role.area_chief],
            unit_id=unit_ids["branch_441900003"],
            grid_cells=grid_cells,
        )
        return user.id

    mine = area_chief("lic_patch", [case.grid_cell_code])
    elsewhere = area_chief("lic_other", ["441900003999999"])
    unpatched = area_chief("lic_all", [])
    verbs.accept_case(session, actor=SYSTEM, now=NOW, case_id=case.id, matter_code="06042")
    verbs.register_case(session, actor=SYSTEM, now=NOW, case_id=case.id)
    verbs.dispatch_case(session, actor=SYSTEM, now=NOW, case_id=case.id)
    got = told(session, case, "dispatch")
    assert {mine, unpatched, staff["dongcheng"].actor.id} <= got
    assert elsewhere not in got
