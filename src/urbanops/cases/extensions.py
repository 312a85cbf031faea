"""延期: a unit asks for more time on the handle stage; a dispatcher approves (the deadline
moves) or rejects. One pending request per case at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import clock
from urbanops.cases.models import ExtensionRequest
from urbanops.cases.queries import get_case
from urbanops.cases.timeline import apply, check
from urbanops.cases.verbs import require_text
from urbanops.cases.workflow import CaseAction
from urbanops.core.calendar import TimeUnit
from urbanops.core.errors import Conflict, InvalidInput
from urbanops.identity.roles import Actor

A = CaseAction


def request_extension(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    amount: float,
    reason: str,
    unit: str | None = None,
) -> ExtensionRequest:
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.request_extension, "reason", reason)
    try:
        time_unit = TimeUnit(unit or TimeUnit.working_days)
    except ValueError as exc:
        raise InvalidInput(
            "时限单位无效",
            code="invalid_time_unit",
            message_en="unit must be natural_hours, working_hours or working_days",
            extra={"field": "unit"},
        ) from exc
    if not amount or amount <= 0:
        raise InvalidInput(
            "延期时长须大于 0",
            code="invalid_amount",
            message_en="amount must be > 0",
            extra={"field": "amount"},
        )
    check(actor, case, A.request_extension)
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending"
        )
    )
    if pending is not None:
        raise Conflict(
            "已有待审批的延期申请",
            code="extension_pending",
            message_en="an extension request is already pending",
        )
    apply(
        session,
        case,
        A.request_extension,
        actor=actor,
        now=now,
        note=reason,
        data={"amount": amount, "unit": str(time_unit)},
    )
    req = ExtensionRequest(
        case_id=case.id,
        requested_by=actor.id,
        requested_at=now,
        amount=amount,
        unit=str(time_unit),
        reason=reason,
        status="pending",
    )
    session.add(req)
    session.flush()
    return req


def decide_extension(
    session: Session, *, actor: Actor, now: datetime, case_id: int, approve: bool, note: str = ""
) -> ExtensionRequest:
    """Approve (the running deadline moves by the amount; the ladder starts again) or reject
    the pending request."""
    action = A.approve_extension if approve else A.reject_extension
    case = get_case(session, case_id, for_update=True)
    check(actor, case, action)
    req = session.scalars(
        select(ExtensionRequest)
        .where(ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending")
        .with_for_update()
    ).one_or_none()
    if req is None:  # the case is there: what is missing is a request to decide on
        raise Conflict(
            "没有待审批的延期申请",
            code="no_pending_extension",
            message_en="no pending extension request",
        )
    previous_due = case.due_at
    req.status = "approved" if approve else "rejected"
    req.decided_by, req.decided_at, req.decision_note = actor.id, now, note or None
    if approve and case.due_at is not None:
        calendar = clock.working_calendar(session)
        clock.extended(clock.Deadline.of(case), calendar, req.amount, req.unit).set_on(case)
        case.overdue = False
        case.escalation_level = 0
        clock.schedule_ladder(case)
    apply(
        session,
        case,
        action,
        actor=actor,
        now=now,
        note=note,
        data={
            "request_id": req.id,
            "previous_due_at": clock.iso(previous_due),
            "due_at": clock.iso(case.due_at),
        },
    )
    return req
