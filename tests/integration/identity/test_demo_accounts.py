"""The demo accounts `urbanops demo --accounts` prints: one per role at least, handlers of two
towns, each able to sign in with the printed password, an area chief with a patch."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from urbanops import bootstrap
from urbanops.identity.roles import Role


def test_the_demo_accounts_cover_every_role_and_sign_in(
    client: TestClient, session: Session
) -> None:
    users = bootstrap._create_demo_users(session)
    assert users, "the test database holds no demo accounts yet"
    accounts = bootstrap.demo_accounts(session)
    assert {a["username"] for a in accounts} == set(users)
    for a in accounts:
        assert set(a) >= {"role", "username", "password", "unit_code", "town_code"}
    roles = {a["role"] for a in accounts}
    assert roles >= set(Role) - {Role.reveal_phone}, set(Role) - roles
    handler_towns = {a["town_code"] for a in accounts if a["role"] == "handler" and a["town_code"]}
    assert len(handler_towns) >= 2
    for a in accounts:
        r = client.post(
            "/api/v1/auth/token", data={"username": a["username"], "password": a["password"]}
        )
        assert r.status_code == 200, (a["username"], r.text)
        me = client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert me.json()["unit_code"] == a["unit_code"] and me.json()["town_code"] == a["town_code"]


def test_a_second_run_adds_only_the_missing_accounts(session: Session) -> None:
    first = bootstrap._create_demo_users(session)
    assert bootstrap._create_demo_users(session) == {}
    assert len(bootstrap.demo_accounts(session)) == len(first)
