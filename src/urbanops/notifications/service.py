"""Who hears about what, as the action registry says (`ActionSpec.notify`): the reporter
(in-app and SMS), the staff of the unit the case is dispatched to, and the leader in charge
(`cases.supervision.leaders_in_charge`).

Staff hear of a case in their own inbox (`recipient_kind` 'user', one row each, read each on
their own). Supervision (督办, 提级, 批示) also reaches them off the platform, by WeChat work
message or SMS (`delivery.queue_to_staff`); other steps stay in the inbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, any_, func, literal, or_, select, update
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.supervision import leaders_in_charge
from urbanops.cases.workflow import REGISTRY, STATUS_LABELS_ZH, CaseAction, CaseStatus, Notify
from urbanops.core.errors import NotFound
from urbanops.identity.models import User
from urbanops.identity.roles import Role
from urbanops.notifications.delivery import queue_to_staff
from urbanops.notifications.models import Notification, StaffContact

# the actions that reach staff off the platform as well (WeChat or SMS)
PUSHED = frozenset({CaseAction.urge, CaseAction.escalate, CaseAction.instruct})


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
    if event.actor_label and not spec.public:
        body = f"{body}（{event.actor_label}）"
    people: dict[int, None] = {}  # staff told, in order, each once
    if Notify.unit in spec.notify and case.unit_id is not None:
        people.update(dict.fromkeys(unit_staff(session, case)))
    if Notify.leader in spec.notify:
        people.update(dict.fromkeys(leaders_in_charge(session, case)))
    rows = [_row(case, event, "user", uid, "in_app", title, body) for uid in people]
    if spec.action in PUSHED:
        for uid in people:
            queue_to_staff(session, uid, f"{title}。{body}", now=now)
    if event.public and Notify.reporter in spec.notify and case.reporter_citizen_id:
        rows.append(_row(case, event, "citizen", case.reporter_citizen_id, "in_app", title, body))
        from urbanops.notifications.delivery import queue_sms_to_citizen

        if queue_sms_to_citizen(session, case.reporter_citizen_id, body, now=now):
            rows.append(_row(case, event, "citizen", case.reporter_citizen_id, "sms", title, body))
    session.add_all(rows)
    return len(rows)


def unit_staff(session: Session, case: Case) -> list[int]:
    """The active staff who work the case where it is: its unit's handlers and managers, the
    area chiefs (片长) whose patch (communities or grid cells) holds it, and its unit's area
    chiefs without a patch (who, like `cases.permissions`, work all their unit's cases)."""

    def has(role: Role) -> ColumnElement[bool]:
        return literal(role.value) == any_(User.roles)

    ours = User.unit_id == case.unit_id
    no_patch = (func.cardinality(User.communities) == 0) & (func.cardinality(User.grid_cells) == 0)
    works = [
        (has(Role.handler) | has(Role.unit_manager)) & ours,
        has(Role.area_chief) & ours & no_patch,
    ]
    if case.community_code:
        works.append(
            has(Role.area_chief) & (literal(case.community_code) == any_(User.communities))
        )
    if case.grid_cell_code:
        works.append(has(Role.area_chief) & (literal(case.grid_cell_code) == any_(User.grid_cells)))
    return list(
        session.scalars(
            select(User.id).where(User.is_active.is_(True), or_(*works)).order_by(User.id)
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


def _staff_unread(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Notification.recipient_kind == "user",
        Notification.recipient_id == user_id,
        Notification.channel == "in_app",
        Notification.read_at.is_(None),
    )


def mark_staff_read(session: Session, *, user_id: int, notification_id: int, now: datetime) -> None:
    """Mark one notification of the staff member's inbox read; another's (or none) is 404."""
    mine = session.scalar(
        select(Notification.id).where(
            Notification.id == notification_id,
            Notification.recipient_kind == "user",
            Notification.recipient_id == user_id,
        )
    )
    if mine is None:
        raise NotFound(
            f"消息 {notification_id} 不存在",
            code="notification_not_found",
            message_en="no such notification in your inbox",
        )
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )


def mark_staff_inbox_read(session: Session, *, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the staff member's inbox read; returns how many."""
    result = session.execute(
        update(Notification).where(*_staff_unread(user_id)).values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_staff_contact(
    session: Session, *, user_id: int, phone: str | None, wecom_userid: str | None, now: datetime
) -> StaffContact:
    """Where the staff member is reached off the platform (empty values: not that way)."""
    contact = session.get(StaffContact, user_id) or StaffContact(user_id=user_id)
    contact.phone, contact.wecom_userid, contact.updated_at = (
        phone or None,
        wecom_userid or None,
        now,
    )
    session.add(contact)
    session.flush()
    return contact
