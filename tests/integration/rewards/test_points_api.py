"""The points routes: the citizen's balance (pending, available, value, share code, counts) and
entries (newest first, paged, labelled, with case numbers); the rewards staff's adjustments
(reason, Idempotency-Key, audited, refused below zero) and view of one citizen; the 4xx."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.cases import verbs
from urbanops.core.settings import get_settings
from urbanops.identity.models import AuditEntry, Citizen
from urbanops.identity.roles import SYSTEM, Role
from urbanops.rewards import earning, ledger
from urbanops.rewards.flag_models import RewardsFlag

from ..conftest import NOW, token

PER_CASE = get_settings().rewards.points_per_case
SPOTS = [(23.0459 + 0.004 * i, 113.7396 + 0.003 * (i % 3)) for i in range(6)]


def signed_in(session: Session, phone: str) -> tuple[Citizen, dict[str, str]]:
    person = factories.citizen(session, phone, now=NOW)
    raw = factories.citizen_token(session, person.id)
    return person, {"X-Citizen-Token": raw}


def earned(session: Session, who: Citizen, n: int, released: int) -> list[int]:
    """`n` cases of `who` registered, the first `released` of them verified, all projected."""
    ids = []
    for i in range(n):
        case = factories.report_case(session, now=NOW, where=SPOTS[i], reporter=who).case
        ids.append(case.id)
        if i < released:
            kw: dict[str, Any] = {"actor": SYSTEM, "now": NOW, "case_id": case.id}
            verbs.start_case(session, **kw)
            verbs.submit_result(session, note="已处理", **kw)
            verbs.verify_case(session, **kw)
    while earning.project(session, now=NOW) == earning.BATCH:
        pass
    return ids


@pytest.fixture
def clerk(session: Session, client: TestClient) -> dict[str, str]:
    factories.staff_member(session, "pt_clerk", [Role.rewards_clerk])
    factories.staff_member(session, "pt_intake", [Role.intake_clerk])
    session.commit()
    return token(client, "pt_clerk")


def test_the_citizen_sees_balance_value_share_code_and_counts(
    client: TestClient, session: Session
) -> None:
    who, headers = signed_in(session, "13900773001")
    earned(session, who, 3, released=2)
    session.commit()
    r = client.get("/api/v1/citizen/rewards", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    fen = 2 * PER_CASE * get_settings().rewards.point_value_fen
    assert (body["pending"], body["available"], body["value_fen"]) == (PER_CASE, 2 * PER_CASE, fen)
    assert body["value_yuan"] == f"{fen // 100}.{fen % 100:02d}"
    assert (body["valid_reports"], body["pending_reports"], body["assists"]) == (2, 1, 0)
    assert len(body["share_code"]) == 8
    assert (
        client.get("/api/v1/citizen/rewards", headers=headers).json()["share_code"]
        == (body["share_code"])
    )
    assert client.get("/api/v1/citizen/rewards").status_code == 401


def test_entries_are_paged_newest_first_with_labels_and_case_numbers(
    client: TestClient, session: Session
) -> None:
    who, headers = signed_in(session, "13900773002")
    ids = earned(session, who, 2, released=1)
    session.commit()
    first = client.get("/api/v1/citizen/rewards/entries?limit=2", headers=headers).json()
    # projected in the timeline's order: the first case's earn and release, the second's earn
    assert [(e["kind"], e["case_id"]) for e in first["entries"]] == [
        ("earn", ids[1]),
        ("release", ids[0]),
    ]
    assert first["entries"][1]["kind_label"] == "积分到账"
    assert first["entries"][1]["case_number"].startswith("2026")
    rest = client.get(
        f"/api/v1/citizen/rewards/entries?limit=2&before_id={first['next_before_id']}",
        headers=headers,
    ).json()
    assert [e["kind"] for e in rest["entries"]] == ["earn"] and rest["next_before_id"] is None
    all_ids = [e["id"] for e in first["entries"] + rest["entries"]]
    assert all_ids == sorted(all_ids, reverse=True) and len(all_ids) == 3
    bad = client.get("/api/v1/citizen/rewards/entries?limit=0", headers=headers)
    assert bad.status_code == 422


def test_an_adjustment_moves_available_points_once_per_key_and_is_audited(
    client: TestClient, session: Session, clerk: dict[str, str]
) -> None:
    who = factories.citizen(session, "13900773003", now=NOW)
    session.commit()
    body = {"citizen_id": who.id, "delta": 30, "reason": "线下活动补发"}
    h = {**clerk, "Idempotency-Key": "adj-0001"}
    r = client.post("/api/v1/rewards/adjustments", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["available"] == 30 and r.json()["entry"]["kind_label"] == "人工调整"
    again = client.post("/api/v1/rewards/adjustments", json=body, headers=h)
    assert again.status_code == 200 and again.json()["entry"]["id"] == r.json()["entry"]["id"]
    other = client.post("/api/v1/rewards/adjustments", json={**body, "delta": 31}, headers=h)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    take = {"citizen_id": who.id, "delta": -31, "reason": "误发收回"}
    below = client.post(
        "/api/v1/rewards/adjustments", json=take, headers={**clerk, "Idempotency-Key": "adj-2"}
    )
    assert below.status_code == 409 and below.json()["code"] == "adjustment_below_zero"
    assert "负数" in below.json()["detail"]
    ok = client.post(
        "/api/v1/rewards/adjustments",
        json={**take, "delta": -30},
        headers={**clerk, "Idempotency-Key": "adj-3"},
    )
    assert ok.status_code == 201 and ok.json()["available"] == 0
    assert ledger.balance_of(session, who.id) == ledger.Balance(0, 0)
    assert ledger.inconsistent_citizens(session, [who.id]) == []
    audits = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "points_adjustment",
            AuditEntry.entity_key.in_(
                [str(r.json()["entry"]["id"]), str(ok.json()["entry"]["id"])]
            ),
        )
    ).all()
    assert sorted(a.after["delta"] for a in audits if a.after) == [-30, 30]


def test_adjustments_refuse_bad_requests_and_other_staff(
    client: TestClient, session: Session, clerk: dict[str, str]
) -> None:
    who = factories.citizen(session, "13900773004", now=NOW)
    session.commit()
    url = "/api/v1/rewards/adjustments"
    body = {"citizen_id": who.id, "delta": 5, "reason": "补发"}
    keyed = {**clerk, "Idempotency-Key": "adj-bad"}
    missing_key = client.post(url, json=body, headers=clerk)
    assert (
        missing_key.status_code == 422 and missing_key.json()["code"] == "idempotency_key_required"
    )
    for bad in ({**body, "delta": 0}, {**body, "reason": "  "}, {"citizen_id": who.id, "delta": 5}):
        assert client.post(url, json=bad, headers=keyed).status_code == 422, bad
    unknown = client.post(url, json={**body, "citizen_id": 999_999_999}, headers=keyed)
    assert unknown.status_code == 404 and unknown.json()["code"] == "citizen_not_found"
    intake = token(client, "pt_intake")
    refused = client.post(url, json=body, headers={**intake, "Idempotency-Key": "adj-x"})
    assert refused.status_code == 403 and refused.json()["code"] == "rewards_staff_only"
    assert client.get(f"/api/v1/rewards/citizens/{who.id}", headers=intake).status_code == 403
    assert ledger.balance_of(session, who.id) == ledger.Balance(0, 0)


def test_staff_see_one_citizens_balance_entries_and_flags(
    client: TestClient, session: Session, clerk: dict[str, str]
) -> None:
    who, _ = signed_in(session, "13900773005")
    earned(session, who, 1, released=0)
    session.add(
        RewardsFlag(
            citizen_id=who.id,
            signal="device_burst",
            key=f"device_burst:{who.id}:test",
            evidence={"reports": 12},
            status="open",
            created_at=NOW,
        )
    )
    session.commit()
    r = client.get(f"/api/v1/rewards/citizens/{who.id}", headers=clerk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rewards"]["pending"] == PER_CASE and "*" in body["phone"]
    assert [e["kind"] for e in body["entries"]] == ["earn"]
    assert [f["signal"] for f in body["flags"]] == ["device_burst"]
    assert client.get("/api/v1/rewards/citizens/999999999", headers=clerk).status_code == 404


def test_the_demo_citizens_have_points_an_assist_and_a_flag(session: Session) -> None:
    from urbanops.rewards.demo_points import DEMO_CITIZENS, FARMER, load_demo_points

    assert load_demo_points(session, NOW) == len(DEMO_CITIZENS) + 1
    phones = [c[0] for c in DEMO_CITIZENS] + [FARMER[0]]
    people = session.scalars(select(Citizen).where(Citizen.phone.in_(phones))).all()
    ids = {p.nickname: p.id for p in people}
    assert ledger.inconsistent_citizens(session, list(ids.values())) == []
    first = ledger.balance_of(session, ids["文明小王"])
    assert first.available == 3 * PER_CASE + get_settings().rewards.assist_points
    assert ledger.balance_of(session, ids["街坊阿珍"]) == ledger.Balance(0, PER_CASE)
    flags = session.scalars(select(RewardsFlag).where(RewardsFlag.citizen_id == ids[FARMER[1]]))
    assert [f.signal for f in flags] == ["same_spot"]
