"""The prize routes: the citizen's catalogue, redeeming (Idempotency-Key required, 409s in
Chinese), vouchers and their QR (owner only), cancelling; the staff's catalogue (audited),
redemptions by state, and issue and collect by voucher code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.identity.models import AuditEntry
from urbanops.identity.roles import Role
from urbanops.rewards import ledger

from ..conftest import token

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
_phone = iter(range(13700003000, 13700009999))


def citizen(session: Session, points: int) -> tuple[int, dict[str, str]]:
    person = factories.citizen(session, str(next(_phone)), now=NOW)
    if points:
        factories.grant_points(session, person.id, points, now=NOW)
    raw = factories.citizen_token(session, person.id)
    return person.id, {"X-Citizen-Token": raw}


def staff_headers(session: Session, client: TestClient, name: str, roles: list[Role]) -> Any:
    factories.staff_member(session, name, roles)
    return token(client, name)


def new_prize(client: TestClient, headers: dict[str, str], **values: Any) -> dict[str, Any]:
    body = {"name": "晴雨伞", "kind": "gift", "price_points": 100, "stock": 2} | values
    r = client.post("/api/v1/rewards/prizes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_citizen_redeems_replays_and_is_refused_in_chinese(
    session: Session, client: TestClient
) -> None:
    clerk = staff_headers(session, client, "pa_clerk", [Role.rewards_clerk])
    prize = new_prize(client, clerk, per_person_limit=1)
    _, rich = citizen(session, 500)
    _, poor = citizen(session, 50)
    url = f"/api/v1/citizen/prizes/{prize['id']}/redeem"

    missing = client.post(url, headers=rich)
    assert missing.status_code == 422 and missing.json()["code"] == "idempotency_key_required"
    first = client.post(url, headers=rich | {"Idempotency-Key": "tap-1"})
    assert first.status_code == 201, first.text
    voucher = first.json()
    assert voucher["status"] == "requested" and voucher["status_label"] == "待发放"
    again = client.post(url, headers=rich | {"Idempotency-Key": "tap-1"})
    assert again.status_code == 200 and again.json()["id"] == voucher["id"]
    limit = client.post(url, headers=rich | {"Idempotency-Key": "tap-2"})
    assert limit.status_code == 409 and limit.json()["code"] == "limit_reached"
    assert "每人限兑 1 份" in limit.json()["detail"]
    short = client.post(url, headers=poor | {"Idempotency-Key": "p-1"})
    assert short.status_code == 409 and short.json()["code"] == "insufficient_points"
    assert "积分不足" in short.json()["detail"]

    listed = client.get("/api/v1/citizen/prizes", headers=rich).json()
    mine = next(p for p in listed["prizes"] if p["id"] == prize["id"])
    assert listed["available_points"] == 400
    assert mine["stock"] == 1 and mine["my_remaining_limit"] == 0 and not mine["can_redeem"]

    _, third = citizen(session, 100)
    assert client.post(url, headers=third | {"Idempotency-Key": "t"}).status_code == 201
    _, fourth = citizen(session, 100)
    gone = client.post(url, headers=fourth | {"Idempotency-Key": "t"})
    assert gone.status_code == 409 and gone.json()["code"] == "out_of_stock"
    assert "已兑完" in gone.json()["detail"]
    assert client.post(url, headers={"Idempotency-Key": "x"}).status_code == 401


def test_the_qr_is_for_the_owner_only_and_cancel_gives_the_points_back(
    session: Session, client: TestClient
) -> None:
    clerk = staff_headers(session, client, "pa_clerk2", [Role.rewards_clerk])
    prize = new_prize(client, clerk)
    owner_id, owner = citizen(session, 100)
    _, stranger = citizen(session, 0)
    r = client.post(
        f"/api/v1/citizen/prizes/{prize['id']}/redeem", headers=owner | {"Idempotency-Key": "q"}
    ).json()
    qr = client.get(r["qr_url"], headers=owner)
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr.text and r["voucher_code"] in qr.text
    assert client.get(r["qr_url"], headers=stranger).status_code == 404
    assert client.get(r["qr_url"]).status_code == 401
    cancel = f"/api/v1/citizen/redemptions/{r['id']}/cancel"
    assert client.post(cancel, headers=stranger).status_code == 404
    done = client.post(cancel, headers=owner)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert done.json()["qr_url"] is None
    assert client.post(cancel, headers=owner).status_code == 409
    session.expire_all()
    assert ledger.balance_of(session, owner_id).available == 100
    mine = client.get("/api/v1/citizen/redemptions", headers=owner).json()
    assert [m["id"] for m in mine] == [r["id"]]


def test_staff_manage_prizes_with_audit_and_fulfil_by_code(
    session: Session, client: TestClient
) -> None:
    clerk = staff_headers(session, client, "pa_clerk3", [Role.rewards_clerk])
    handler = staff_headers(session, client, "pa_handler", [Role.handler])
    assert client.get("/api/v1/rewards/prizes", headers=handler).status_code == 403
    refused = client.post(
        "/api/v1/rewards/prizes",
        json={"name": "红包", "kind": "cash_red_packet", "price_points": 20, "stock": 5},
        headers=clerk,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "face_value_required"
    prize = new_prize(client, clerk, low_stock_threshold=1)
    patched = client.patch(
        f"/api/v1/rewards/prizes/{prize['id']}", json={"stock": 7, "name": "雨伞"}, headers=clerk
    )
    assert patched.status_code == 200 and patched.json()["stock"] == 7
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "prize", AuditEntry.entity_key == str(prize["id"])
        )
    ).all()
    assert [e.change for e in entries] == ["create", "update"]
    assert entries[1].before == {"name": "晴雨伞", "stock": 2}
    assert (
        client.patch(
            f"/api/v1/rewards/prizes/{prize['id']}",
            json={"valid_from": "2027-01-02T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"},
            headers=clerk,
        ).status_code
        == 422
    )

    _, person = citizen(session, 100)
    r = client.post(
        f"/api/v1/citizen/prizes/{prize['id']}/redeem", headers=person | {"Idempotency-Key": "s"}
    ).json()
    code = r["voucher_code"]
    found = client.get(f"/api/v1/rewards/vouchers/{code.lower()}", headers=clerk)
    assert found.status_code == 200 and found.json()["citizen_phone"].count("*") >= 4
    assert (
        client.post(f"/api/v1/rewards/vouchers/{code}/collect", headers=handler).status_code == 403
    )
    issued = client.post(f"/api/v1/rewards/vouchers/{code}/issue", headers=clerk)
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    got = client.post(f"/api/v1/rewards/vouchers/{code}/collect", headers=clerk)
    assert got.status_code == 200 and got.json()["status"] == "collected"
    twice = client.post(f"/api/v1/rewards/vouchers/{code}/collect", headers=clerk)
    assert twice.status_code == 409 and "已领取" in twice.json()["detail"]
    listed = client.get("/api/v1/rewards/redemptions?status=collected", headers=clerk).json()
    assert r["id"] in [x["id"] for x in listed]
    assert all(x["status"] == "collected" for x in listed)
    bad = client.get("/api/v1/rewards/vouchers/not-a-code", headers=clerk)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_voucher_code"
    nobody = client.get("/api/v1/rewards/vouchers/AAAAA-AAAAA", headers=clerk)
    assert nobody.status_code == 404
