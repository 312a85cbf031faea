"""The channels a case may be referred to: `GET /api/v1/channels` for any staff role, `PUT
/api/v1/channels/{code}` for admins. An edit reaches referrals at once (the catalogue snapshot
is dropped): a new reply is the next referral's default, a deactivated channel is refused.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from urbanops.cases.models import CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.catalogue import channels
from urbanops.catalogue import service as catalogue
from urbanops.catalogue.models import Channel
from urbanops.identity.roles import SYSTEM, Role

from ...factories import case_in_status, staff_member
from ..conftest import NOW, Staff, token

SEEDED = list(csv.DictReader(resources.files("urbanops.data").joinpath("channels.csv").open()))
FIELDS = {"code", "name_zh", "name_en", "reply_zh", "reply_en", "position", "is_active"}


@pytest.fixture(autouse=True)
def fresh_catalogue() -> Iterator[None]:
    """Channel rows changed in a test's transaction leave no snapshot behind them."""
    catalogue.invalidate()
    yield
    catalogue.invalidate()


@pytest.fixture
def admin(session: Session, client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    staff_member(session, "channel_admin", [Role.admin])
    return token(client, "channel_admin")


@pytest.fixture
def clerk(client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    return token(client, staff["clerk"].username)


def row(session: Session, code: str) -> Channel:
    found = session.get(Channel, code)
    assert found is not None
    session.refresh(found)
    return found


def test_every_staff_role_lists_every_channel_in_order(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    for who in ("clerk", "dispatcher", "leader", "dongcheng"):
        r = client.get("/api/v1/channels", headers=token(client, staff[who].username))
        assert r.status_code == 200, (who, r.text)
        listed = r.json()
        assert [c["code"] for c in listed] == [s["code"] for s in SEEDED]
        assert all(set(c) == FIELDS for c in listed)
        assert [c["position"] for c in listed] == sorted(c["position"] for c in listed)
        first = listed[0]
        assert (first["name_zh"], first["reply_zh"], first["is_active"]) == (
            SEEDED[0]["name_zh"],
            SEEDED[0]["reply_zh"],
            True,
        )


def test_the_list_needs_a_staff_account_with_a_role(session: Session, client: TestClient) -> None:
    assert client.get("/api/v1/channels").status_code == 401
    staff_member(session, "channel_norole", [])
    r = client.get("/api/v1/channels", headers=token(client, "channel_norole"))
    assert r.status_code == 403 and r.json()["code"] == "no_role", r.text
    staff_member(session, "channel_phone_only", [Role.reveal_phone])
    r = client.get("/api/v1/channels", headers=token(client, "channel_phone_only"))
    assert r.status_code == 403, r.text


def test_an_admin_edits_a_channel_and_the_next_referral_reads_it(
    session: Session, client: TestClient, admin: dict[str, str], clerk: dict[str, str]
) -> None:
    case = case_in_status(session, CaseStatus.reported, now=NOW)
    catalogue.snapshot(session)  # loaded before the edit: the edit must drop it
    new_reply = "您反映的劳动纠纷已转人社部门，可拨打 12333 查询进度。"
    r = client.put(
        "/api/v1/channels/hrss",
        json={"reply_zh": f"  {new_reply}  ", "name_en": "HR and Social Security"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["code"], out["reply_zh"], out["name_en"]) == (
        "hrss",
        new_reply,
        "HR and Social Security",
    )
    assert out["name_zh"] == SEEDED[0]["name_zh"]  # what the body left out stays
    assert row(session, "hrss").reply_zh == new_reply
    listed = {c["code"]: c for c in client.get("/api/v1/channels", headers=clerk).json()}
    assert listed["hrss"]["reply_zh"] == new_reply

    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer", json={"channel": "hrss"}, headers=clerk
    )
    assert r.status_code == 200, r.text
    assert r.json()["channel_name_en"] == "HR and Social Security"
    note = session.scalars(
        select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.action == "refer")
    ).one()
    assert note == new_reply


def test_a_deactivated_channel_is_listed_but_not_offered_and_comes_back(
    session: Session, client: TestClient, admin: dict[str, str], clerk: dict[str, str]
) -> None:
    case = case_in_status(session, CaseStatus.reported, now=NOW)
    catalogue.snapshot(session)
    r = client.put("/api/v1/channels/education", json={"is_active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["is_active"] is False, r.text
    listed = {c["code"]: c for c in client.get("/api/v1/channels", headers=clerk).json()}
    assert listed["education"]["is_active"] is False and len(listed) == len(SEEDED)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer", json={"channel": "education"}, headers=clerk
    )
    assert r.status_code == 422 and r.json()["field"] == "channel", r.text

    r = client.put("/api/v1/channels/education", json={"is_active": True}, headers=admin)
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer", json={"channel": "education"}, headers=clerk
    )
    assert r.status_code == 200 and r.json()["channel_code"] == "education", r.text


def test_only_an_admin_edits_a_channel(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    before = row(session, "market").reply_zh
    for who in ("clerk", "chief", "leader"):
        r = client.put(
            "/api/v1/channels/market",
            json={"reply_zh": "改过的答复"},
            headers={**token(client, staff[who].username), "Accept-Language": "en"},
        )
        assert r.status_code == 403, (who, r.text)
        assert r.json()["code"] == "admin_only" and "admin" in r.json()["detail"]
    assert client.put("/api/v1/channels/market", json={"reply_zh": "x"}).status_code == 401
    assert row(session, "market").reply_zh == before


def test_an_unknown_channel_is_a_404(client: TestClient, admin: dict[str, str]) -> None:
    r = client.put("/api/v1/channels/nowhere", json={"name_zh": "无此渠道"}, headers=admin)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "channel_not_found" and "nowhere" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name_zh": "   "}, "name_zh"),
        ({"name_en": ""}, "name_en"),
        ({"reply_zh": "\n\t "}, "reply_zh"),
        ({"reply_en": None}, "reply_en"),
        ({"is_active": None}, "is_active"),
        ({"reply_zh": "好", "name_zh": ""}, "name_zh"),
    ],
)
def test_a_blank_name_or_reply_is_refused_naming_the_field(
    session: Session,
    client: TestClient,
    admin: dict[str, str],
    body: dict[str, object],
    field: str,
) -> None:
    before = {c: getattr(row(session, "health"), c) for c in FIELDS}
    r = client.put("/api/v1/channels/health", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("missing_field", field)
    assert r.json()["detail"].startswith("请填写")
    r = client.put("/api/v1/channels/health", json=body, headers={**admin, "Accept-Language": "en"})
    assert field in r.json()["detail"] and "blank" in r.json()["detail"]
    assert {c: getattr(row(session, "health"), c) for c in FIELDS} == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name_zh": "名" * 65}, "name_zh"),
        ({"reply_en": "x" * 2001}, "reply_en"),
        ({"name_en": "two\nlines"}, "name_en"),
        ({"is_active": "perhaps"}, "is_active"),
        ({"position": 3}, "position"),
        ({"code": "other"}, "code"),
    ],
)
def test_an_invalid_body_is_a_422_naming_the_field(
    session: Session,
    client: TestClient,
    admin: dict[str, str],
    body: dict[str, object],
    field: str,
) -> None:
    before = {c: getattr(row(session, "health"), c) for c in FIELDS}
    r = client.put("/api/v1/channels/health", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert {c: getattr(row(session, "health"), c) for c in FIELDS} == before


def test_a_code_longer_than_the_column_is_a_422(client: TestClient, admin: dict[str, str]) -> None:
    r = client.put("/api/v1/channels/" + "x" * 17, json={"name_zh": "长"}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "code"


def test_an_edit_rolled_back_with_an_outer_transaction_leaves_no_snapshot_behind(
    engine: Engine,
) -> None:
    """A session joined to an outer transaction (as every test's is) commits its edit to a
    savepoint, and a snapshot read after it shows the edit; when the outer transaction rolls
    back, the snapshot read next shows the rows as they are again."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        channels.update_channel(
            session, actor=SYSTEM, code="transport", changes={"is_active": False}
        )
        session.commit()
        assert "transport" not in catalogue.snapshot(session).channels
    finally:
        session.close()
        outer.rollback()
        connection.close()
    with Session(engine) as fresh:
        assert "transport" in catalogue.snapshot(fresh).channels
