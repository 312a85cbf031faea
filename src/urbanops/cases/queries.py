"""Reading cases: filtered lists scoped to the caller's unit, and details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.cases.workflow import UNIT_SCOPED_ROLES
from urbanops.identity.roles import Actor, ActorKind, Role


@dataclass(frozen=True)
class CaseFilter:
    status: list[str] | None = None
    town_code: str | None = None
    unit_id: int | None = None
    matter_code: str | None = None
    source: str | None = None
    overdue: bool | None = None
    number: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None


def unit_scope(actor: Actor) -> int | None:
    """Staff whose roles are all unit-scoped see only their unit's cases."""
    if actor.kind is ActorKind.system or Role.admin in actor.roles:
        return None
    if actor.roles and actor.roles - {Role.reveal_phone} <= UNIT_SCOPED_ROLES:
        return actor.unit_id if actor.unit_id is not None else -1
    return None


def list_cases(
    session: Session, actor: Actor, f: CaseFilter, *, page: int = 1, page_size: int = 50
) -> tuple[list[Case], int]:
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(Case.status.in_(f.status))
    if f.town_code:
        conditions.append(Case.town_code == f.town_code)
    if f.unit_id is not None:
        conditions.append(Case.unit_id == f.unit_id)
    if f.matter_code:
        conditions.append(Case.matter_code == f.matter_code)
    if f.source:
        conditions.append(Case.source == f.source)
    if f.overdue is not None:
        conditions.append(Case.overdue.is_(f.overdue))
    if f.number:
        conditions.append(Case.number == f.number)
    if f.reported_from:
        conditions.append(Case.reported_at >= f.reported_from)
    if f.reported_to:
        conditions.append(Case.reported_at < f.reported_to)
    scope = unit_scope(actor)
    if scope is not None:
        conditions.append(Case.unit_id == scope)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.reported_at.desc(), Case.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total
