"""Farming signals: the same spot again and again, reports voided soon after, bursts from one
device, one device behind several accounts, rings of assists; each stored once with its
evidence, reviewed by the rewards staff (confirm freezes earning, dismiss lifts it), audited;
the routes refuse other staff and unknown or reviewed flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.cases import verbs
from urbanops.cases.workflow import CaseStatus
from urbanops.core.settings import get_settings
from urbanops.identity import service as identity
from urbanops.identity.models import AuditEntry, Citizen
from urbanops.identity.roles import SYSTEM, Role
from urbanops.reports.service import record_origin
from urbanops.rewards import earning, farming, ledger, profiles
from urbanops.rewards.flag_models import RewardsFlag

from ..conftest import PASSWORD

S = CaseStatus
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SPOT = (23.0301, 113.7702)
FAR = [(22.99 + 0.005 * i, 113.76 + 0.004 * (i % 4)) for i in range(12)]


def person(session: Session, phone: str) -> Citizen:
    return factories.citizen(session, phone, now=NOW)


def flags_of(session: Session, who: Citizen, signal: str) -> list[RewardsFlag]:
    return list(
        session.scalars(
            select(RewardsFlag).where(
                RewardsFlag.citizen_id == who.id, RewardsFlag.signal == signal
            )
        )
    )


def from_device(session: Session, who: Citizen, where: tuple[float, float], device: str) -> None:
    result = factories.report_case(session, now=NOW, where=where, reporter=who)
    record_origin(session, result.report, device_id=device, ip="10.8.0.1", now=NOW)


def test_the_same_spot_again_and_again_is_flagged_once_with_its_cases(session: Session) -> None:
    who, fair = person(session, "13900772001"), person(session, "13900772002")
    n = get_settings().rewards.flag_same_spot_reports
    for _ in range(n):
        factories.report_case(session, now=NOW, where=SPOT, reporter=who)
    for _ in range(n - 1):
        factories.report_case(session, now=NOW, where=SPOT, reporter=fair)
    farming.detect(session, now=NOW + timedelta(hours=1))
    farming.detect(session, now=NOW + timedelta(hours=2))  # again: nothing twice
    found = flags_of(session, who, "same_spot")
    assert len(found) == 1 and found[0].evidence["reports"] == n
    assert len(found[0].evidence["case_numbers"]) == n
    assert flags_of(session, fair, "same_spot") == []


def test_reports_voided_soon_after_are_flagged(session: Session) -> None:
    who = person(session, "13900772011")
    slow = person(session, "13900772012")
    for i in range(get_settings().rewards.flag_voided_reports):
        case = factories.case_in_status(session, S.registered, now=NOW, where=FAR[i], reporter=who)
        verbs.void_case(
            session, actor=SYSTEM, now=NOW + timedelta(hours=1), case_id=case.id, reason="虚假"
        )
        late = factories.case_in_status(
            session, S.registered, now=NOW, where=FAR[i + 4], reporter=slow
        )
        verbs.void_case(
            session, actor=SYSTEM, now=NOW + timedelta(days=3), case_id=late.id, reason="无法核实"
        )
    farming.detect(session, now=NOW + timedelta(days=3, hours=1))
    found = flags_of(session, who, "voided_soon")
    assert len(found) == 1 and found[0].evidence["voided"] >= 2
    assert flags_of(session, slow, "voided_soon") == []


def test_a_burst_from_one_device_and_several_accounts_on_it_are_flagged(
    session: Session,
) -> None:
    s = get_settings().rewards
    people = [person(session, f"1390077202{i}") for i in range(s.flag_device_accounts)]
    for i in range(s.flag_device_burst):
        from_device(session, people[i % len(people)], FAR[i], "burst-phone")
    alone = person(session, "13900772029")
    from_device(session, alone, FAR[11], "own-phone")
    farming.detect(session, now=NOW + timedelta(minutes=30))
    for who in people:
        assert len(flags_of(session, who, "device_burst")) == 1
        shared = flags_of(session, who, "shared_device")
        assert len(shared) == 1 and who.id in shared[0].evidence["accounts"]
    assert flags_of(session, alone, "device_burst") == []
    assert flags_of(session, alone, "shared_device") == []


def test_an_inviter_and_invitee_on_one_device_are_a_ring(session: Session) -> None:
    inviter, invitee = person(session, "13900772031"), person(session, "13900772032")
    code = profiles.profile(session, inviter.id, NOW).share_code
    assert profiles.record_invite(session, citizen_id=invitee.id, ref=code, now=NOW)
    honest_inviter, honest = person(session, "13900772033"), person(session, "13900772034")
    other_code = profiles.profile(session, honest_inviter.id, NOW).share_code
    profiles.record_invite(session, citizen_id=honest.id, ref=other_code, now=NOW)
    from_device(session, inviter, FAR[0], "ring-phone")
    from_device(session, invitee, FAR[1], "ring-phone")
    from_device(session, honest_inviter, FAR[2], "phone-h1")
    from_device(session, honest, FAR[3], "phone-h2")
    farming.detect(session, now=NOW + timedelta(hours=1))
    for who in (inviter, invitee):
        ring = flags_of(session, who, "assist_ring")
        assert len(ring) == 1
        assert ring[0].evidence["inviter"] == inviter.id
    assert flags_of(session, honest, "assist_ring") == []


def _flag(session: Session, who: Citizen, n: int = 0) -> RewardsFlag:
    flag = RewardsFlag(
        citizen_id=who.id,
        signal="same_spot",
        key=f"same_spot:{who.id}:test{n}",
        evidence={"reports": 5},
        status="open",
        created_at=NOW,
    )
    session.add(flag)
    session.flush()
    return flag


def test_confirming_freezes_earning_and_dismissing_lifts_it(session: Session) -> None:
    clerk = factories.staff_member(session, "fl_clerk", [Role.rewards_clerk])
    actor = identity.actor_for_user(clerk)
    who = person(session, "13900772041")
    first, second = _flag(session, who, 1), _flag(session, who, 2)
    farming.confirm_flag(session, actor=actor, now=NOW, flag_id=first.id, note="确认刷分")
    farming.confirm_flag(session, actor=actor, now=NOW, flag_id=second.id)
    case = factories.report_case(session, now=NOW, where=FAR[5], reporter=who).case
    earning.project(session, now=NOW)
    assert ledger.balance_of(session, who.id) == ledger.Balance(0, 0)
    farming.dismiss_flag(session, actor=actor, now=NOW, flag_id=first.id)
    assert profiles.is_frozen(session, who.id)  # the second still holds it
    farming.dismiss_flag(session, actor=actor, now=NOW, flag_id=second.id)
    assert not profiles.is_frozen(session, who.id)
    assert case.id
    audits = session.scalars(
        select(AuditEntry.after).where(
            AuditEntry.entity == "rewards_flag",
            AuditEntry.entity_key.in_([str(first.id), str(second.id)]),
        )
    ).all()
    assert len(audits) == 4


@pytest.fixture
def clerk_headers(client: TestClient, session: Session) -> dict[str, str]:
    factories.staff_member(session, "fl_api_clerk", [Role.rewards_clerk])
    factories.staff_member(session, "fl_api_handler", [Role.intake_clerk])
    session.commit()
    return _login(client, "fl_api_clerk")


def _login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_flag_routes_list_review_and_refuse(
    client: TestClient, session: Session, clerk_headers: dict[str, str]
) -> None:
    who = person(session, "13900772051")
    flag = _flag(session, who)
    session.commit()
    listed = client.get(
        "/api/v1/rewards/flags",
        params={"citizen_id": who.id, "status": "open"},
        headers=clerk_headers,
    )
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()] == [flag.id]
    assert listed.json()[0]["signal_label"] == "同一地点反复上报"
    assert "*" in listed.json()[0]["citizen_phone"]
    other = _login(client, "fl_api_handler")
    refused = client.get("/api/v1/rewards/flags", headers=other)
    assert refused.status_code == 403 and refused.json()["code"] == "rewards_staff_only"
    r = client.post(
        f"/api/v1/rewards/flags/{flag.id}/confirm", json={"note": "核实"}, headers=clerk_headers
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    again = client.post(f"/api/v1/rewards/flags/{flag.id}/confirm", headers=clerk_headers)
    assert again.status_code == 409 and again.json()["code"] == "flag_already_reviewed"
    missing = client.post("/api/v1/rewards/flags/999999999/dismiss", headers=clerk_headers)
    assert missing.status_code == 404 and missing.json()["code"] == "flag_not_found"
    bad = client.get("/api/v1/rewards/flags", params={"status": "maybe"}, headers=clerk_headers)
    assert bad.status_code == 422
    r = client.post(f"/api/v1/rewards/flags/{flag.id}/dismiss", headers=clerk_headers)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
