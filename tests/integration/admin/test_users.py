"""Staff accounts through /api/v1/admin/users: create under the password policy, edit roles,
unit and an area chief's communities, disable, reset a password; every change audited, no
password or hash ever answered or recorded."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.identity.models import User
from urbanops.identity.service import verify_password

from ..conftest import Staff, token
from .conftest import audit_rows, problem, strong_password

DONGCHENG_COMMUNITY = "441900003001"  # a community of 东城街道 in the area reference


def test_an_admin_creates_a_handler_who_can_sign_in(
    client: TestClient, admin: dict[str, str], unit_ids: dict[str, int], session: Session
) -> None:
    # given a password that passes the policy
    password = strong_password()
    # when an admin creates a handler of 东城城管分局
    r = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={
            "username": "zhang_san",
            "display_name": "张三",
            "password": password,
            "roles": ["handler"],
            "unit_id": unit_ids["branch_441900003"],
            "must_change_password": False,
        },
    )
    # then the account is there, without its password, and can sign in
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["username"] == "zhang_san" and body["roles"] == ["handler"]
    assert password not in r.text and "password_hash" not in r.text
    signed_in = client.post(
        "/api/v1/auth/token", data={"username": "zhang_san", "password": password}
    )
    assert signed_in.status_code == 200
    [entry] = audit_rows(session, "user", "zhang_san")
    assert entry.change == "create" and entry.actor == "管理员甲"
    assert entry.after is not None and entry.after["roles"] == ["handler"]
    assert password not in json.dumps(entry.after) and "password_hash" not in entry.after


def test_a_weak_password_is_refused_with_the_policys_words(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    body = {"username": "li_si", "display_name": "李四", "roles": ["inspector"]}
    r = client.post("/api/v1/admin/users", headers=admin, json={**body, "password": "abcdefgh"})
    assert "至少三类" in problem(r, 422, "weak_password")["detail"]
    r = client.post(
        "/api/v1/admin/users",
        headers={**admin, "Accept-Language": "en"},
        json={**body, "password": "Li_si-2026x"},
    )
    assert "username" in problem(r, 422, "weak_password")["detail"]
    assert session.scalar(select(User).where(User.username == "li_si")) is None
    assert audit_rows(session, "user") == []


def test_duplicate_username_unknown_unit_and_missing_unit_are_refused(
    client: TestClient, admin: dict[str, str], staff: dict[str, Staff], session: Session
) -> None:
    base = {"display_name": "王五", "password": strong_password(), "roles": ["handler"]}
    r = client.post(
        "/api/v1/admin/users", headers=admin, json={**base, "username": "T_CLERK", "unit_id": 1}
    )
    assert "已存在" in problem(r, 409, "username_taken")["detail"]
    r = client.post(
        "/api/v1/admin/users", headers=admin, json={**base, "username": "wang5", "unit_id": 99999}
    )
    problem(r, 422, "unknown_unit")
    r = client.post("/api/v1/admin/users", headers=admin, json={**base, "username": "wang5"})
    assert "处置人员" in problem(r, 422, "unit_required")["detail"]
    r = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={
            **base,
            "username": "wang5",
            "roles": ["area_chief"],
            "unit_id": 1,
            "communities": ["x"],
        },
    )
    problem(r, 422, "unknown_community")
    assert audit_rows(session, "user") == []


def test_roles_unit_and_communities_are_edited_and_audited(
    client: TestClient,
    admin: dict[str, str],
    staff: dict[str, Staff],
    session: Session,
    unit_ids: dict[str, int],
) -> None:
    user_id = staff["inspector"].actor.id
    branch = unit_ids["branch_441900003"]
    # an area chief with neither a unit nor communities is refused, and nothing is written
    r = client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"roles": ["area_chief"]}
    )
    assert "片长" in problem(r, 422, "unit_required")["detail"]
    r = client.patch(
        f"/api/v1/admin/users/{user_id}",
        headers=admin,
        json={"roles": ["inspector", "area_chief"], "communities": [DONGCHENG_COMMUNITY]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["communities"] == [DONGCHENG_COMMUNITY]
    # a community is for an area chief only: dropping the role drops them too
    r = client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"roles": ["leader"]})
    assert r.json()["roles"] == ["leader"] and r.json()["communities"] == []
    # and a unit is given
    r = client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"unit_id": branch})
    assert r.json()["unit_id"] == branch
    first, second, third = audit_rows(session, "user", staff["inspector"].username)
    assert first.before == {"roles": ["inspector"], "communities": []}
    assert first.after == {
        "roles": ["area_chief", "inspector"],
        "communities": [DONGCHENG_COMMUNITY],
    }
    assert second.after == {"roles": ["leader"], "communities": []}
    assert (third.before, third.after) == ({"unit_id": None}, {"unit_id": branch})


def test_a_disabled_account_cannot_sign_in_and_its_tokens_stop(
    client: TestClient, admin: dict[str, str], staff: dict[str, Staff], session: Session
) -> None:
    clerk = token(client, staff["clerk"].username)
    user_id = staff["clerk"].actor.id
    username = staff["clerk"].username
    r = client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=clerk).status_code == 401
    [entry] = audit_rows(session, "user", username)
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    r = client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": True})
    assert r.json()["is_active"] is True


def test_an_admin_cannot_disable_themself_or_drop_their_admin_role(
    client: TestClient, admin: dict[str, str], admin_user: User
) -> None:
    url = f"/api/v1/admin/users/{admin_user.id}"
    problem(client.patch(url, headers=admin, json={"is_active": False}), 409, "cannot_disable_self")
    r = client.patch(url, headers=admin, json={"roles": ["leader"]})
    problem(r, 409, "cannot_drop_own_admin")


def test_a_reset_password_is_shown_once_and_must_be_changed(
    client: TestClient, admin: dict[str, str], staff: dict[str, Staff], session: Session
) -> None:
    old = token(client, staff["leader"].username)
    user_id = staff["leader"].actor.id
    username = staff["leader"].username
    r = client.post(f"/api/v1/admin/users/{user_id}/reset-password", headers=admin)
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None and user.must_change_password
    assert verify_password(user.password_hash, temporary)
    assert client.get("/api/v1/me", headers=old).status_code == 401
    [entry] = audit_rows(session, "user", username)
    assert entry.change == "reset_password" and temporary not in json.dumps(entry.after)


def test_users_are_searched_by_name_and_role(
    client: TestClient, admin: dict[str, str], staff: dict[str, Staff]
) -> None:
    r = client.get("/api/v1/admin/users", headers=admin, params={"q": "dongch"})
    assert r.status_code == 200, r.text
    assert [u["username"] for u in r.json()] == ["t_dongcheng"]
    r = client.get("/api/v1/admin/users", headers=admin, params={"role": "handler"})
    # other tests commit handlers of their own to the shared database: count this test's
    found = {u["username"] for u in r.json()}
    assert {n for n in found if n.startswith("t_")} == {"t_dongcheng", "t_humen", "t_municipal"}
    r = client.get("/api/v1/admin/users", headers=admin, params={"q": "%"})
    assert r.json() == []


def test_contacts_are_edited_validated_and_audited(
    client: TestClient, admin: dict[str, str], staff: dict[str, Staff], session: Session
) -> None:
    """Where an account is reached off the platform (phone for SMS, 企业微信 UserID, as the
    notification ports use them) is set by an admin, checked, shown in the list, audited."""
    user = staff["dongcheng"]
    url = f"/api/v1/admin/users/{user.actor.id}"
    # a phone that is not a mainland mobile number is refused, and nothing is written
    for bad in ("12345", "1380013800", "+8613800138000", "138-0013-8000"):
        r = client.patch(url, headers=admin, json={"phone": bad})
        assert r.status_code == 422, (bad, r.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"]), r.json()
    r = client.patch(url, headers=admin, json={"wecom_userid": "zhang san"})
    assert r.status_code == 422
    assert audit_rows(session, "user", user.username) == []

    r = client.patch(url, headers=admin, json={"phone": "13800138000", "wecom_userid": "ZhangSan"})
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["wecom_userid"]) == ("13800138000", "ZhangSan")
    # the notification ports read the same contact
    mine = client.get("/api/v1/me/contact", headers=token(client, user.username)).json()
    assert mine == {"phone": "13800138000", "wecom_userid": "ZhangSan"}
    listed = client.get("/api/v1/admin/users", headers=admin, params={"q": user.username})
    [row] = [u for u in listed.json() if u["id"] == user.actor.id]
    assert row["phone"] == "13800138000"
    # leaving one out keeps it; an empty one takes it away
    r = client.patch(url, headers=admin, json={"phone": ""})
    assert (r.json()["phone"], r.json()["wecom_userid"]) == (None, "ZhangSan")
    first, second = audit_rows(session, "user", user.username)
    assert first.before == {"phone": None, "wecom_userid": None}
    assert first.after == {"phone": "13800138000", "wecom_userid": "ZhangSan"}
    assert (second.before, second.after) == ({"phone": "13800138000"}, {"phone": None})
