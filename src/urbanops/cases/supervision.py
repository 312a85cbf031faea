"""Supervision by leaders: who is the leader in charge of a case, the cases in a leader's
charge that were urged (督办) or escalated (提级), and the overdue counts a leader watches.

The leader in charge of a case is found by climbing from the case to the city, and the first
level that has an active leader account answers:

1. leaders whose unit is the case's unit (the unit's own leader);
2. leaders whose unit lies in the case's town (the town's leader, e.g. for a case a city
   department handles in that town);
3. city leaders (a leader account without a unit);
4. when the city has no leader account at all, every active leader, so that an escalation is
   never told to no one.

A leader's charge is what they are in charge of at any of these levels: a leader with a unit
watches the cases of that unit and of its town; a city leader watches every case. Leaders may
still read every case (`cases.queries.case_scope`); the charge only chooses what the leaders'
page lists and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, any_, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from urbanops.areas.models import Town, Unit
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import OPEN_STATUSES, CaseAction
from urbanops.core.errors import PermissionDenied
from urbanops.identity.models import User
from urbanops.identity.roles import Actor, ActorKind, Role

SUPERVISION = (str(CaseAction.urge), str(CaseAction.escalate))
OPEN_VALUES = tuple(sorted(str(s) for s in OPEN_STATUSES))


def _active_leaders() -> ColumnElement[bool]:
    return (literal(Role.leader.value) == any_(User.roles)) & User.is_active.is_(True)


def leaders_in_charge(session: Session, case: Case) -> list[int]:
    """The ids of the leader(s) in charge of `case` (see the module's ladder), by id."""
    town_of_unit = select(Unit.id).where(Unit.town_code == case.town_code)
    levels: list[ColumnElement[bool]] = []
    if case.unit_id is not None:
        levels.append(User.unit_id == case.unit_id)
    if case.town_code is not None:
        levels.append(User.unit_id.in_(town_of_unit))
    levels += [User.unit_id.is_(None), true()]
    for level in levels:
        found = list(
            session.scalars(select(User.id).where(_active_leaders(), level).order_by(User.id))
        )
        if found:
            return found
    return []


@dataclass(frozen=True)
class Charge:
    """The cases a leader is in charge of: every case, or those of a unit and of its town."""

    everything: bool = False
    unit_id: int | None = None
    town_code: str | None = None

    def condition(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        mine: list[ColumnElement[bool]] = []
        if self.unit_id is not None:
            mine.append(Case.unit_id == self.unit_id)
        if self.town_code is not None:
            mine.append(Case.town_code == self.town_code)
        return or_(*mine) if mine else false()


def charge_of(session: Session, actor: Actor) -> Charge:
    """A leader's (or an admin's) charge; anyone else is refused (403)."""
    if actor.kind is not ActorKind.staff or not actor.has(Role.leader):
        raise PermissionDenied(
            "只有领导可以查看督办与提级案件",
            code="not_a_leader",
            message_en="only leaders see the urged and escalated cases",
        )
    if Role.admin in actor.roles or actor.unit_id is None:
        return Charge(everything=True)
    town = session.scalar(select(Unit.town_code).where(Unit.id == actor.unit_id))
    return Charge(unit_id=actor.unit_id, town_code=town)


@dataclass(frozen=True)
class Supervised:
    """An open case in the charge that was urged or escalated, with the latest such step."""

    case: Case
    action: str
    at: datetime
    by: str
    note: str
    urges: int
    escalations: int
    town_name: str | None
    unit_name: str | None


def supervised_cases(
    session: Session, actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[Supervised], int]:
    """The open cases in `actor`'s charge that were urged or escalated, the most recently
    supervised first, each with the latest urge or escalation (who and why); and their total."""
    charge = charge_of(session, actor)
    steps = (
        select(
            CaseEvent.case_id,
            func.max(CaseEvent.id).label("last_id"),
            func.count().filter(CaseEvent.action == str(CaseAction.urge)).label("urges"),
            func.count().filter(CaseEvent.action == str(CaseAction.escalate)).label("escalations"),
        )
        .where(CaseEvent.action.in_(SUPERVISION))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    mine = (Case.status.in_(OPEN_VALUES), charge.condition())
    total = (
        session.scalar(
            select(func.count())
            .select_from(steps)
            .join(Case, Case.id == steps.c.case_id)
            .where(*mine)
        )
        or 0
    )
    rows = session.execute(
        select(Case, CaseEvent, steps.c.urges, steps.c.escalations, Town.name, Unit.name)
        .join(steps, steps.c.case_id == Case.id)
        .join(CaseEvent, CaseEvent.id == steps.c.last_id)
        .outerjoin(Town, Town.code == Case.town_code)
        .outerjoin(Unit, Unit.id == Case.unit_id)
        .where(*mine)
        .order_by(steps.c.last_id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return [
        Supervised(case, e.action, e.at, e.actor_label, e.note, urges, esc, town, unit)
        for case, e, urges, esc, town, unit in rows
    ], total


@dataclass(frozen=True)
class Count:
    key: str
    name: str
    overdue: int


def overdue_counts(session: Session, actor: Actor) -> tuple[list[Count], list[Count]]:
    """The open overdue cases in `actor`'s charge, counted by town and by unit (most first)."""
    charge = charge_of(session, actor)
    overdue = (Case.status.in_(OPEN_VALUES), Case.overdue.is_(True), charge.condition())
    by_town = session.execute(
        select(Case.town_code, Town.name, func.count())
        .outerjoin(Town, Town.code == Case.town_code)
        .where(*overdue)
        .group_by(Case.town_code, Town.name)
        .order_by(func.count().desc(), Case.town_code)
    ).all()
    by_unit = session.execute(
        select(Case.unit_id, Unit.name, func.count())
        .outerjoin(Unit, Unit.id == Case.unit_id)
        .where(*overdue)
        .group_by(Case.unit_id, Unit.name)
        .order_by(func.count().desc(), Case.unit_id)
    ).all()
    return (
        [Count(code or "", name or "未定位", n) for code, name, n in by_town],
        [Count(str(uid or ""), name or "未派遣", n) for uid, name, n in by_unit],
    )
