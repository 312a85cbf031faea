"""Who may change what, over the whole API.

1. Every case action the route takes × every staff role, on a case of the Dongcheng branch in
   a status the action is allowed in: the roles the registry names (and admin) get past the
   authorization; every other role gets 403 and the case is untouched. Unit roles of another
   unit (Humen's handler, unit manager and area chief) get 403 on every action.
2. Every state-changing route of /api/v1: without credentials 401, and for a staff account
   without any role never a success, and nothing in the database changes.
3. Every list route returns only what the caller's scope holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases import extensions
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import REGISTRY, UNIT_SCOPED_ROLES, CaseAction
from urbanops.core.web import get_now
from urbanops.identity.roles import SYSTEM, Role

from ..factories import case_in_status, staff_member
from .cases.test_action_route import values
from .conftest import NOW, token

API = [a for a, spec in REGISTRY.items() if spec.api]
DONGCHENG_BRANCH, HUMEN_BRANCH = "branch_441900003", "branch_441900121"
# role → the unit its account belongs to (unit roles need one)
ACCOUNTS: dict[Role, str | None] = {
    Role.admin: None,
    Role.intake_clerk: None,
    Role.shift_chief: None,
    Role.dispatcher: None,
    Role.inspector: None,
    Role.leader: None,
    Role.reveal_phone: None,
    Role.handler: DONGCHENG_BRANCH,
    Role.area_chief: DONGCHENG_BRANCH,
    Role.unit_manager: DONGCHENG_BRANCH,
}


@pytest.fixture
def tokens(
    session: Session, client: TestClient, unit_ids: dict[str, int]
) -> Iterator[dict[str, dict[str, str]]]:
    """A bearer header per role (Dongcheng's unit roles), Humen's unit roles as `other:<role>`,
    and an account without roles as `none`; then the routes' clock at NOW."""
    out: dict[str, dict[str, str]] = {}
    for role, unit in ACCOUNTS.items():
        staff_member(session, f"m_{role}", [role], unit_id=unit_ids[unit] if unit else None)
        out[str(role)] = token(client, f"m_{role}")
    for role in sorted(UNIT_SCOPED_ROLES):
        staff_member(session, f"m_other_{role}", [role], unit_id=unit_ids[HUMEN_BRANCH])
        out[f"other:{role}"] = token(client, f"m_other_{role}")
    staff_member(session, "m_none", [])
    out["none"] = token(client, "m_none")

    async def now() -> Any:
        return NOW

    client.app.dependency_overrides[get_now] = now  # type: ignore[attr-defined]
    yield out
    client.app.dependency_overrides.pop(get_now, None)  # type: ignore[attr-defined]


def snapshot(session: Session, case: Case) -> tuple[Any, ...]:
    session.expire_all()
    row = session.get(Case, case.id)
    assert row is not None
    events = session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))
    return (row.status, row.unit_id, row.matter_code, row.updated_at, row.due_at, events)


def _allowed(role: Role, action: CaseAction) -> bool:
    return role is Role.admin or role in REGISTRY[action].roles


@pytest.mark.parametrize("action", API, ids=str)
def test_every_action_by_every_role(
    session: Session,
    client: TestClient,
    unit_ids: dict[str, int],
    tokens: dict[str, dict[str, str]],
    action: CaseAction,
) -> None:
    spec = REGISTRY[action]
    status = next(iter(spec.transitions))
    given = values(
        session, unit_ids, case_in_status(session, next(iter(spec.transitions)), now=NOW)
    )
    body = {f.name: given[f.name] for f in spec.fields}
    for who, headers in tokens.items():
        case = case_in_status(session, status, now=NOW)
        assert case.unit_id in (None, unit_ids[DONGCHENG_BRANCH]), case.unit_id
        if action in (CaseAction.approve_extension, CaseAction.reject_extension):
            extensions.request_extension(
                session, actor=SYSTEM, now=NOW, case_id=case.id, amount=1, reason="x"
            )
        session.commit()
        before = snapshot(session, case)
        r = client.post(f"/api/v1/cases/{case.id}/actions/{action}", json=body, headers=headers)
        role = Role(who.split(":")[-1]) if who != "none" else None
        other_unit = who.startswith("other:")
        unit_role_on_unassigned = (
            role in UNIT_SCOPED_ROLES and case.unit_id is None and not other_unit
        )
        if role is not None and _allowed(role, action) and not other_unit:
            if unit_role_on_unassigned:
                assert r.status_code == 403, (who, r.text)
            else:
                assert r.status_code != 403, (who, action, r.text)
                assert r.status_code < 500, (who, action, r.text)
            continue
        assert r.status_code in (403, 404), (who, action, r.status_code, r.text)
        assert snapshot(session, case) == before, (who, action)


# routes that act on the caller's own account or are the ways in
OWN_ACCOUNT = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/session"),
    ("DELETE", "/api/v1/auth/session"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/citizen/otp"),
    ("POST", "/api/v1/citizen/session"),
    ("DELETE", "/api/v1/citizen/session"),
    ("POST", "/api/v1/inbox/read-all"),
    ("PUT", "/api/v1/me/contact"),
}
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# routes that read their body before their caller (intake checks the caller in its worker
# thread, with the write): an empty body is refused first, as a 422
BODY_FIRST = {("POST", "/api/v1/reports")}


def changing_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every documented state-changing route under /api/v1 (the OpenAPI lists them all)."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    out = []
    for path, operations in sorted(paths.items()):
        if not path.startswith("/api/v1/"):
            continue
        for method in sorted(m.upper() for m in operations):
            if method in CHANGING and (method, path) not in OWN_ACCOUNT:
                out.append((method, path))
    return out


def concrete(path: str, case_id: int) -> str:
    """A route's path with its parameters filled: ids name a real case (or 1), other
    parameters a plausible word."""
    path = re.sub(r"\{(case_id|id)\}", str(case_id), path)
    path = re.sub(r"\{action\}", "start", path)
    path = re.sub(r"\{[a-z_]*id\}", "1", path)
    return re.sub(r"\{[a-z_]+\}", "x", path)


def table_counts(session: Session) -> dict[str, int]:
    names = session.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    counts = {}
    for name in names:
        if name.startswith("procrastinate") or name == "alembic_version":
            continue
        counts[name] = session.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0
    return counts


def test_no_state_change_without_credentials_or_without_a_role(
    session: Session, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    case = case_in_status(session, next(iter(REGISTRY[CaseAction.start].transitions)), now=NOW)
    session.commit()
    routes = changing_routes(client)
    assert len(routes) >= 10, routes
    before = table_counts(session), snapshot(session, case)
    for method, path in routes:
        url = concrete(path, case.id)
        anonymous = client.request(method, url, json={})
        if path.startswith("/api/v1/citizen/"):
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            continue
        if path.startswith("/open311/"):
            continue
        expected = {401, 422} if (method, path) in BODY_FIRST else {401}
        assert anonymous.status_code in expected, (method, path, anonymous.status_code)
        roleless = client.request(method, url, json={}, headers=tokens["none"])
        assert roleless.status_code in (400, 403, 404, 405, 409, 422), (
            method,
            path,
            roleless.status_code,
            roleless.text,
        )
    session.expire_all()
    after = table_counts(session), snapshot(session, case)
    assert after == before


@pytest.mark.parametrize("who", ["other:handler", "other:unit_manager", "other:area_chief"])
def test_lists_hold_only_the_callers_scope(
    session: Session,
    client: TestClient,
    unit_ids: dict[str, int],
    tokens: dict[str, dict[str, str]],
    who: str,
) -> None:
    dongcheng = case_in_status(session, next(iter(REGISTRY[CaseAction.start].transitions)), now=NOW)
    session.commit()
    assert dongcheng.unit_id == unit_ids[DONGCHENG_BRANCH]
    r = client.get("/api/v1/cases?page_size=200", headers=tokens[who])
    assert r.status_code == 200
    assert all(c["unit_id"] == unit_ids[HUMEN_BRANCH] for c in r.json()["items"]), who
    assert dongcheng.id not in {c["id"] for c in r.json()["items"]}
    mine = client.get("/api/v1/cases?page_size=200", headers=tokens["handler"]).json()
    assert dongcheng.id in {c["id"] for c in mine["items"]}
    for path in (f"/api/v1/cases/{dongcheng.id}", f"/api/v1/cases/{dongcheng.id}/reports"):
        refused = client.get(path, headers=tokens[who])
        assert refused.status_code in (403, 404)
        assert "timeline" not in refused.json() and dongcheng.number not in refused.text
