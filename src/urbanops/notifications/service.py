"""Who hears about what: the reporter (in-app and SMS), the unit, and leaders on escalation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import any_, literal, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import ACTION_LABELS_ZH, STATUS_LABELS_ZH, CaseAction, CaseStatus
from urbanops.identity.models import User
from urbanops.identity.roles import Role
from urbanops.notifications.models import Notification

UNIT_ACTIONS = frozenset(
    {
        "dispatch",
        "redispatch",
        "rework",
        "reopen",
        "urge",
        "escalate",
        "remind",
        "mark_overdue",
        "approve_extension",
        "reject_extension",
    }
)
CITIZEN_ACTIONS = frozenset(
    {
        "dispatch",
        "redispatch",
        "start",
        "submit_result",
        "verify",
        "rework",
        "reopen",
        "merge",
        "void",
        "park",
        "support",
    }
)


def notify_case_event(session: Session, event_id: int, *, now: datetime) -> int:
    """Create the notifications of one event; idempotent (a retried job creates none twice).

    The event row is locked first, so two runs of the same job (a stalled job retried beside a
    slow first run) are serialised and the second finds the first one's notifications.
    """
    event = session.get(CaseEvent, event_id, with_for_update=True)
    if event is None:
        return 0
    if session.scalar(select(Notification.id).where(Notification.event_id == event_id).limit(1)):
        return 0
    case = session.get(Case, event.case_id)
    assert case is not None
    label = ACTION_LABELS_ZH.get(CaseAction(event.action), event.action)
    status = STATUS_LABELS_ZH.get(CaseStatus(case.status), case.status)
    title = f"案件 {case.number}：{label}"
    body = f"案件 {case.number} 当前状态：{status}。{event.note}".strip()
    rows: list[Notification] = []
    if event.action in UNIT_ACTIONS and case.unit_id is not None:
        rows.append(_row(case, event, "unit", case.unit_id, "in_app", title, body))
    if event.action == "escalate":
        rows += [_row(case, event, "user", uid, "in_app", title, body) for uid in leaders(session)]
    if event.public and event.action in CITIZEN_ACTIONS and case.reporter_citizen_id:
        rows.append(_row(case, event, "citizen", case.reporter_citizen_id, "in_app", title, body))
        from urbanops.notifications.delivery import queue_sms_to_citizen

        if queue_sms_to_citizen(session, case.reporter_citizen_id, body, now=now):
            rows.append(_row(case, event, "citizen", case.reporter_citizen_id, "sms", title, body))
    session.add_all(rows)
    return len(rows)


def leaders(session: Session) -> list[int]:
    """The active staff with the leader role, who hear of every escalation.

    Leaders are city-wide: like their reading scope (`cases.queries.case_scope`), a leader's
    notifications do not depend on the unit the account belongs to.
    """
    return list(
        session.scalars(
            select(User.id)
            .where(literal(Role.leader.value) == any_(User.roles), User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def _row(
    case: Case, event: CaseEvent, kind: str, rid: int, channel: str, title: str, body: str
) -> Notification:
    return Notification(
        case_id=case.id,
        event_id=event.id,
        recipient_kind=kind,
        recipient_id=rid,
        channel=channel,
        title=title,
        body=body,
        created_at=event.at,
    )
