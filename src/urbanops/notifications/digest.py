"""The unit managers' daily digest: each morning of a working day, every unit manager is told
their unit's open cases that are overdue and those due within the next 24 hours, in the inbox
and off the platform (WeChat or SMS, `delivery.queue_to_staff`).

Idempotent per day: the `staff_digest` row (manager, local day) is claimed first with
`INSERT … ON CONFLICT DO NOTHING`, so a second run the same day (a retried job, two workers)
sends nothing. On days off (weekends, holidays, by the working calendar) no digest goes out:
deadlines counted in working days do not move then, and Monday's digest covers the weekend.
A manager whose unit has nothing overdue or due soon is not written to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import any_, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.areas.models import Unit
from urbanops.cases.clock import working_calendar
from urbanops.cases.models import Case
from urbanops.cases.workflow import CLOCKED
from urbanops.core.calendar import SHANGHAI
from urbanops.core.settings import get_settings
from urbanops.identity.models import User
from urbanops.identity.roles import Role
from urbanops.notifications.delivery import queue_to_staff
from urbanops.notifications.models import Notification, StaffDigest

CLOCKED_VALUES = tuple(sorted(str(s) for s in CLOCKED))
LISTED = 5  # case numbers named in the text, per group


@dataclass(frozen=True)
class UnitDue:
    """A unit's open cases past their deadline, and those due within the window."""

    overdue: list[str]
    due_soon: list[str]

    def text(self, unit_name: str, hours: float) -> str:
        def group(numbers: list[str]) -> str:
            more = "等" if len(numbers) > LISTED else ""
            return (
                f"{len(numbers)} 件（{'、'.join(numbers[:LISTED])}{more}）" if numbers else "0 件"
            )

        return (
            f"{unit_name}：超期 {group(self.overdue)}；"
            f"{hours:g} 小时内到期 {group(self.due_soon)}。请及时处置。"
        )


def unit_due(session: Session, unit_id: int, now: datetime, hours: float) -> UnitDue:
    """The unit's running cases overdue at `now`, and due from `now` to `now + hours`, each
    list by deadline."""
    rows = session.execute(
        select(Case.number, Case.overdue, Case.due_at)
        .where(
            Case.unit_id == unit_id,
            Case.status.in_(CLOCKED_VALUES),
            or_(Case.overdue.is_(True), Case.due_at < now + timedelta(hours=hours)),
        )
        .order_by(Case.due_at, Case.id)
    ).all()
    overdue = [n for n, late, due in rows if late or (due is not None and due <= now)]
    soon = [n for n, late, due in rows if not late and due is not None and due > now]
    return UnitDue(overdue, soon)


def local_day(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def send_digests(session: Session, now: datetime) -> int:
    """Send today's digest to every active unit manager not yet sent one today; returns how
    many were sent now (0 on a day off)."""
    day = local_day(now)
    if not working_calendar(session).is_workday(day):
        return 0
    hours = get_settings().notifications.digest_due_within_hours
    managers = session.execute(
        select(User.id, Unit.id, Unit.name)
        .join(Unit, Unit.id == User.unit_id)
        .where(literal(Role.unit_manager.value) == any_(User.roles), User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    sent = 0
    for user_id, unit_id, unit_name in managers:
        due = unit_due(session, unit_id, now, hours)
        if not due.overdue and not due.due_soon:
            continue
        claimed = session.scalar(
            insert(StaffDigest)
            .values(
                user_id=user_id,
                day=day,
                unit_id=unit_id,
                overdue=len(due.overdue),
                due_soon=len(due.due_soon),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "day"])
            .returning(StaffDigest.user_id)
        )
        if claimed is None:
            continue
        title = f"每日待办 {day.month}月{day.day}日"
        body = due.text(unit_name, hours)
        note = Notification(
            recipient_kind="user",
            recipient_id=user_id,
            channel="in_app",
            title=title,
            body=body,
            created_at=now,
        )
        session.add(note)
        session.flush()
        session.execute(
            update(StaffDigest)
            .where(StaffDigest.user_id == user_id, StaffDigest.day == day)
            .values(notification_id=note.id)
        )
        queue_to_staff(session, user_id, f"【{title}】{body}", now=now)
        sent += 1
    return sent
