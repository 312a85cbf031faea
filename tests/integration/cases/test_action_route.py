"""The staff action route against the registry: each action with `api=True` takes exactly the
fields the registry lists (a missing required one or an unlisted one is a 422 naming it, and
nothing is written), the others are unknown to the route; `GET /api/v1/workflow` serves the
registry; a case's `allowed_actions` are the actions the caller may take on it now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases import extensions
from urbanops.cases.lifecycle import workflow_document
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.schemas import ActionIn
from urbanops.cases.workflow import REGISTRY, CaseAction, CaseStatus
from urbanops.core.web import get_now
from urbanops.identity.roles import SYSTEM, Role

from ...factories import case_in_status, staff_member
from ..conftest import NOW, Staff, token

S = CaseStatus
API = [a for a, spec in REGISTRY.items() if spec.api]
# what the route does not take (the system's steps, intake's rows, split's own route)
NOT_API = {"submit", "remind", "mark_overdue", "support", "split", "recompute_deadline"}


@pytest.fixture
def admin(session: Session, client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    staff_member(session, "route_admin", [Role.admin])
    return token(client, "route_admin")


@pytest.fixture
def at_now(client: TestClient, admin: dict[str, str]) -> Iterator[TestClient]:
    """The routes' clock at NOW, the time the test's cases were made (the admin's token is
    issued before, on the real clock, so that it is valid now)."""

    async def now() -> Any:
        return NOW

    client.app.dependency_overrides[get_now] = now  # type: ignore[attr-defined]
    yield client
    client.app.dependency_overrides.pop(get_now, None)  # type: ignore[attr-defined]


def values(session: Session, unit_ids: dict[str, int], target: Case) -> dict[str, Any]:
    """A valid value for each field of `ActionIn`."""
    return {
        "note": "说明",
        "reason": "理由",
        "unit_id": unit_ids["branch_441900003"],
        "matter_code": "06042",
        "into_number": target.number,
        "rating": 4,
        "comment": "满意",
        "amount": 1,
        "unit": "working_days",
        "photos": [],
        "before_photos": [],
        "channel": "hrss",
        "reply": "已转人社部门",
    }


def events(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)) or 0


def test_the_route_takes_exactly_the_actions_the_registry_opens_to_it() -> None:
    assert {str(a) for a, spec in REGISTRY.items() if not spec.api} == NOT_API
    assert set(ActionIn.model_fields) == {f.name for a in API for f in REGISTRY[a].fields}


@pytest.mark.parametrize("action", API, ids=str)
def test_a_required_field_missing_is_named(
    session: Session,
    at_now: TestClient,
    admin: dict[str, str],
    unit_ids: dict[str, int],
    action: CaseAction,
) -> None:
    spec = REGISTRY[action]
    case = case_in_status(session, next(iter(spec.transitions)), now=NOW)
    given = values(session, unit_ids, case_in_status(session, S.dispatched, now=NOW))
    before = events(session, case)
    for missing in [f.name for f in spec.fields if f.required]:
        body = {f.name: given[f.name] for f in spec.fields if f.name != missing}
        r = at_now.post(f"/api/v1/cases/{case.id}/actions/{action}", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["field"]) == ("missing_field", missing)
    assert events(session, case) == before


@pytest.mark.parametrize("action", API, ids=str)
def test_a_field_the_action_does_not_take_is_named(
    session: Session,
    at_now: TestClient,
    admin: dict[str, str],
    unit_ids: dict[str, int],
    action: CaseAction,
) -> None:
    spec = REGISTRY[action]
    case = case_in_status(session, next(iter(spec.transitions)), now=NOW)
    given = values(session, unit_ids, case_in_status(session, S.dispatched, now=NOW))
    listed = {f.name: given[f.name] for f in spec.fields}
    before = events(session, case)
    for name in sorted(set(given) - set(listed)):
        body = {**listed, name: given[name]}
        r = at_now.post(f"/api/v1/cases/{case.id}/actions/{action}", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["field"]) == ("unexpected_field", name)
    assert events(session, case) == before


@pytest.mark.parametrize("action", API, ids=str)
def test_every_field_the_registry_lists_reaches_the_verb(
    session: Session,
    at_now: TestClient,
    admin: dict[str, str],
    unit_ids: dict[str, int],
    action: CaseAction,
) -> None:
    """Taken in the first status the table allows it in, with every field it lists: done."""
    spec = REGISTRY[action]
    status = next(iter(spec.transitions))
    case = case_in_status(session, status, now=NOW)
    given = values(session, unit_ids, case_in_status(session, S.dispatched, now=NOW))
    if action in (CaseAction.approve_extension, CaseAction.reject_extension):
        extensions.request_extension(
            session, actor=SYSTEM, now=NOW, case_id=case.id, amount=1, reason="x"
        )
    body = {f.name: given[f.name] for f in spec.fields}
    before = events(session, case)
    r = at_now.post(f"/api/v1/cases/{case.id}/actions/{action}", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == str(spec.transitions[status])
    assert r.json()["timeline"][-1]["action"] in (str(action), "support")  # merge: on the target
    assert events(session, case) == before + 1


@pytest.mark.parametrize("action", sorted(NOT_API) + ["fly"])
def test_an_action_the_route_does_not_take_is_unknown(
    session: Session, at_now: TestClient, admin: dict[str, str], action: str
) -> None:
    case = case_in_status(session, S.dispatched, now=NOW)
    before = events(session, case)
    r = at_now.post(f"/api/v1/cases/{case.id}/actions/{action}", json={}, headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "unknown_action", r.text
    assert set(r.json()["actions"]) == {str(a) for a in API}
    assert events(session, case) == before


def test_the_workflow_endpoint_serves_the_registry(client: TestClient) -> None:
    r = client.get("/api/v1/workflow")
    assert r.status_code == 200
    doc = r.json()
    assert doc == workflow_document()
    assert len(doc["statuses"]) == 13 and doc["statuses"][0]["code"] == "reported"
    actions = {a["code"]: a for a in doc["actions"]}
    assert set(actions) == {str(a) for a in CaseAction}
    assert actions["accept"]["transitions"] == {"reported": "accepted"}
    assert actions["escalate"]["notify"] == ["leader", "unit"]
    assert actions["escalate"]["public"] is False and actions["escalate"]["api"] is True
    assert actions["dispatch"]["roles"] == ["dispatcher", "shift_chief"]
    assert actions["remind"]["api"] is False and actions["support"]["anyone"] is True
    required = {f["name"]: f["required"] for f in actions["request_extension"]["fields"]}
    assert required == {"amount": True, "unit": False, "reason": True}
    unit = next(f for f in actions["request_extension"]["fields"] if f["name"] == "unit")
    assert [o["value"] for o in unit["options"]] == [
        "working_days",
        "working_hours",
        "natural_hours",
    ]


# who may do what on a case dispatched to 东城城管分局 (no extension requested, so none to
# approve or reject), and on a closed one
ON_DISPATCHED = {
    "t_clerk": set(),
    "t_chief": {"redispatch", "park", "urge", "escalate"},
    "t_dispatcher": {"redispatch", "park", "urge"},
    "t_inspector": set(),
    "t_leader": {"urge", "escalate", "instruct"},
    "t_dongcheng": {"start", "return", "request_extension"},
    "allowed_humen_inspector": set(),  # sees the case as an inspector; not its unit's actions
    "allowed_admin": {
        "redispatch",
        "start",
        "return",
        "park",
        "urge",
        "escalate",
        "instruct",
        "request_extension",
    },
}
ON_CLOSED = {
    "t_clerk": {"reopen", "rate"},
    "t_chief": {"reopen"},
    "t_dispatcher": set(),
    "t_inspector": set(),
    "t_leader": set(),
    "t_dongcheng": set(),
    "allowed_humen_inspector": set(),
    "allowed_admin": {"reopen", "rate"},
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [(S.dispatched, ON_DISPATCHED), (S.closed, ON_CLOSED)],
    ids=["dispatched", "closed"],
)
def test_allowed_actions_are_those_the_caller_may_take(
    session: Session,
    client: TestClient,
    staff: dict[str, Staff],
    unit_ids: dict[str, int],
    status: CaseStatus,
    expected: dict[str, set[str]],
) -> None:
    staff_member(session, "allowed_admin", [Role.admin])
    staff_member(
        session,
        "allowed_humen_inspector",
        [Role.handler, Role.inspector],
        unit_id=unit_ids["branch_441900121"],
    )
    case = case_in_status(session, status, now=NOW)
    for username, actions in expected.items():
        r = client.get(f"/api/v1/cases/{case.id}", headers=token(client, username))
        assert r.status_code == 200, (username, r.text)
        assert set(r.json()["allowed_actions"]) == actions, username
    # a handler of another unit does not see the case, let alone act on it
    r = client.get(f"/api/v1/cases/{case.id}", headers=token(client, "t_humen"))
    assert r.status_code == 403 and "allowed_actions" not in r.json()
