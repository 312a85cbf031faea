"""Rejecting an extension (驳回延期) through the staff API: the deadline stays, the request is
closed, a new one may be made; only the command centre rejects, and only a pending request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent, ExtensionRequest
from urbanops.cases.workflow import CaseStatus

from ...factories import case_in_status
from ..conftest import NOW, Staff, token

ASK = {"amount": 2, "unit": "working_days", "reason": "需要协调产权单位"}


@pytest.fixture
def case(session: Session, staff: dict[str, Staff]) -> Case:
    """A case dispatched to 东城城管分局 (the `dongcheng` handler's unit)."""
    return case_in_status(session, CaseStatus.dispatched, now=NOW)


def act(client: TestClient, who: str, case: Case, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/cases/{case.id}/actions/{action}", json=body, headers=token(client, who)
    )


def requests_of(session: Session, case: Case) -> list[tuple[str, float, int | None]]:
    session.expire_all()
    rows = session.scalars(
        select(ExtensionRequest)
        .where(ExtensionRequest.case_id == case.id)
        .order_by(ExtensionRequest.id)
    )
    return [(r.status, r.amount, r.decided_by) for r in rows]


def actions_of(session: Session, case: Case) -> list[str]:
    rows = session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return [a for a in rows if "extension" in a]


def test_a_rejected_request_leaves_the_deadline_and_a_new_one_may_be_made(
    session: Session, client: TestClient, staff: dict[str, Staff], case: Case
) -> None:
    due, stage_started = case.due_at, case.stage_started_at
    assert due is not None
    assert act(client, "t_dongcheng", case, "request_extension", **ASK).status_code == 200
    r = act(client, "t_dispatcher", case, "reject_extension", note="时限内可完成")
    assert r.status_code == 200, r.text
    assert r.json()["due_at"] is not None

    session.refresh(case)
    assert (case.due_at, case.stage_started_at) == (due, stage_started)
    dispatcher = staff["dispatcher"].actor.id
    assert requests_of(session, case) == [("rejected", 2.0, dispatcher)]
    rejected = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "reject_extension"
        )
    ).one()
    assert (
        rejected.note == "时限内可完成"
        and rejected.data["due_at"] == rejected.data["previous_due_at"]
    )

    # nothing is pending any more: the unit may ask again, and that one may be approved
    r = act(client, "t_dongcheng", case, "request_extension", **{**ASK, "amount": 1})
    assert r.status_code == 200, r.text
    assert requests_of(session, case) == [("rejected", 2.0, dispatcher), ("pending", 1.0, None)]
    assert act(client, "t_dispatcher", case, "approve_extension").status_code == 200
    session.refresh(case)
    assert case.due_at is not None and case.due_at > due
    assert actions_of(session, case) == [
        "request_extension",
        "reject_extension",
        "request_extension",
        "approve_extension",
    ]


def test_a_handler_may_not_reject(
    session: Session, client: TestClient, staff: dict[str, Staff], case: Case
) -> None:
    act(client, "t_dongcheng", case, "request_extension", **ASK)
    r = act(client, "t_dongcheng", case, "reject_extension")
    assert r.status_code == 403 and r.json()["code"] == "role_not_allowed", r.text
    assert requests_of(session, case) == [("pending", 2.0, None)]
    assert actions_of(session, case) == ["request_extension"]


def test_rejecting_with_none_pending_is_a_conflict(
    session: Session, client: TestClient, staff: dict[str, Staff], case: Case
) -> None:
    r = act(client, "t_dispatcher", case, "reject_extension")
    assert r.status_code == 409 and r.json()["code"] == "no_pending_extension", r.text
    assert requests_of(session, case) == [] and actions_of(session, case) == []


def test_a_rejected_request_cannot_be_approved_afterwards(
    session: Session, client: TestClient, staff: dict[str, Staff], case: Case
) -> None:
    due = case.due_at
    act(client, "t_dongcheng", case, "request_extension", **ASK)
    assert act(client, "t_dispatcher", case, "reject_extension").status_code == 200
    r = act(client, "t_chief", case, "approve_extension")
    assert r.status_code == 409 and r.json()["code"] == "no_pending_extension", r.text
    session.refresh(case)
    assert case.due_at == due
    assert requests_of(session, case) == [("rejected", 2.0, staff["dispatcher"].actor.id)]
    assert actions_of(session, case) == ["request_extension", "reject_extension"]
