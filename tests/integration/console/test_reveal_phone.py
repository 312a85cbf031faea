"""Revealing a reporter's full phone number: only for a case in the caller's scope that the
citizen reported, with the permission; every refusal leaves nothing in the log."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.identity.models import PhoneReveal
from urbanops.identity.roles import Role

from ...factories import HUMEN, citizen, report_case, staff_member
from ..conftest import NOW, token

REASON = "回访核实"


def reveal(client: TestClient, who: str, citizen_id: int, case_id: int | None) -> Any:
    body: dict[str, Any] = {"reason": REASON}
    if case_id is not None:
        body["case_id"] = case_id
    return client.post(
        f"/api/v1/citizens/{citizen_id}/reveal-phone", json=body, headers=token(client, who)
    )


def logged(session: Session, *citizen_ids: int) -> list[tuple[int, int | None, int]]:
    rows = session.scalars(
        select(PhoneReveal).where(PhoneReveal.citizen_id.in_(citizen_ids)).order_by(PhoneReveal.id)
    )
    return [(r.citizen_id, r.case_id, r.user_id) for r in rows]


@pytest.fixture
def cases(session: Session) -> dict[str, Any]:
    """A 东城 case reported by one citizen, a 虎门 case by another."""
    a = citizen(session, "13800138201", now=NOW)
    b = citizen(session, "13800138202", now=NOW)
    dongcheng = report_case(session, now=NOW, reporter=a).case
    humen = report_case(session, now=NOW, where=HUMEN, reporter=b).case
    assert dongcheng.unit_id != humen.unit_id and dongcheng.unit_id and humen.unit_id
    return {"a": a, "b": b, "dongcheng": dongcheng, "humen": humen}


def test_a_handler_reveals_a_reporter_of_their_units_case_only(
    session: Session, client: TestClient, cases: dict[str, Any]
) -> None:
    a, b, dongcheng, humen = cases["a"], cases["b"], cases["dongcheng"], cases["humen"]
    user = staff_member(session, "t_reveal_dc", [Role.handler, Role.reveal_phone])
    user.unit_id = dongcheng.unit_id
    session.flush()

    # another town's case, though the citizen did report it: 403, nothing logged
    r = reveal(client, "t_reveal_dc", b.id, humen.id)
    assert r.status_code == 403 and r.json()["code"] == "outside_unit_scope", r.text
    assert "phone" not in r.json()
    # naming their own case for another town's reporter: that citizen did not report it
    r = reveal(client, "t_reveal_dc", b.id, dongcheng.id)
    assert r.status_code == 404 and r.json()["code"] == "not_a_reporter", r.text
    assert logged(session, a.id, b.id) == []

    r = reveal(client, "t_reveal_dc", a.id, dongcheng.id)
    assert r.status_code == 200, r.text
    assert r.json() == {"citizen_id": a.id, "phone": "13800138201"}
    assert logged(session, a.id, b.id) == [(a.id, dongcheng.id, user.id)]


def test_a_case_is_required_and_must_exist(
    session: Session, client: TestClient, cases: dict[str, Any]
) -> None:
    a, dongcheng = cases["a"], cases["dongcheng"]
    staff_member(session, "t_reveal_city", [Role.shift_chief, Role.reveal_phone])
    r = reveal(client, "t_reveal_city", a.id, None)
    assert r.status_code == 422 and "case_id" in [e["field"] for e in r.json()["errors"]]
    missing = dongcheng.id + 10**9
    r = reveal(client, "t_reveal_city", a.id, missing)
    assert r.status_code == 404 and r.json()["code"] == "case_not_found", r.text
    assert logged(session, a.id) == []
    # a city-wide role with the permission reaches any town's reporter
    r = reveal(client, "t_reveal_city", cases["b"].id, cases["humen"].id)
    assert r.status_code == 200 and r.json()["phone"] == "13800138202"


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ([Role.shift_chief], "reveal_not_allowed"),  # reads every case, lacks the permission
        ([Role.reveal_phone], "no_role"),  # the permission alone reads no case
    ],
    ids=["no_permission", "permission_only"],
)
def test_refused_without_the_permission_or_any_reading_role(
    session: Session,
    client: TestClient,
    cases: dict[str, Any],
    roles: list[Role],
    code: str,
) -> None:
    a, dongcheng = cases["a"], cases["dongcheng"]
    staff_member(session, "t_reveal_no", roles)
    r = reveal(client, "t_reveal_no", a.id, dongcheng.id)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == code
    assert logged(session, a.id) == []
