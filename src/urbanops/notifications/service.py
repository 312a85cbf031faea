"""Who hears about what, as the action registry says (`ActionSpec.notify`): the reporter
(in-app and SMS), the unit the case is dispatched to, and leaders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import any_, literal, select, update
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import REGISTRY, STATUS_LABELS_ZH, CaseAction, CaseStatus, Notify
from urbanops.identity.models import User
from urbanops.identity.roles import Role
from urbanops.notifications.models import Notification


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
    spec = REGISTRY[CaseAction(event.action)]
    label = spec.label_zh
    status = STATUS_LABELS_ZH.get(CaseStatus(case.status), case.status)
    title = f"案件 {case.number}：{label}"
    body = f"案件 {case.number} 当前状态：{status}。{event.note}".strip()
    rows: list[Notification] = []
    if Notify.unit in spec.notify and case.unit_id is not None:
        rows.append(_row(case, event, "unit", case.unit_id, "in_app", title, body))
    if Notify.leader in spec.notify:
        rows += [_row(case, event, "user", uid, "in_app", title, body) for uid in leaders(session)]
    if event.public and Notify.reporter in spec.notify and case.reporter_citizen_id:
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


def mark_citizen_inbox_read(session: Session, *, citizen_id: int, now: datetime) -> None:
    """Mark every unread notification in the citizen's inbox read (the app's inbox was shown)."""
    session.execute(
        update(Notification)
        .where(
            Notification.recipient_kind == "citizen",
            Notification.recipient_id == citizen_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
