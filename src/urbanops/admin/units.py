"""Units (处置单位: town branches and city departments) run by an admin: create, edit name,
kind and town, deactivate and reactivate, each change audited.

A unit the responsibility matrix still routes to cannot be deactivated: cases would go on
arriving at a unit no one works for. The admin reassigns its rules first (the error lists how
many). A deactivated unit is no longer offered for new accounts or rules; its cases and staff
stay as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.admin import audit, caches
from urbanops.admin.access import require_admin
from urbanops.areas import service as areas
from urbanops.areas.models import UNIT_KINDS, Responsibility, Town, Unit
from urbanops.core.errors import Conflict, InvalidInput, NotFound
from urbanops.identity.models import User
from urbanops.identity.roles import Actor

KIND_LABELS = {"town_branch": ("城管分局", "town branch"), "department": ("专业部门", "department")}


def state(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "town_code": unit.town_code,
        "is_active": unit.is_active,
    }


def list_units(session: Session, *, actor: Actor) -> list[tuple[Unit, int, int]]:
    """Every unit with the number of matrix rules routing to it and of its staff."""
    require_admin(actor)
    rules = (
        select(func.count())
        .where(Responsibility.unit_id == Unit.id)
        .correlate(Unit)
        .scalar_subquery()
    )
    staff = select(func.count()).where(User.unit_id == Unit.id).correlate(Unit).scalar_subquery()
    rows = session.execute(select(Unit, rules, staff).order_by(Unit.kind, Unit.code))
    return [(u, r, s) for u, r, s in rows]


def _check(session: Session, kind: str, town_code: str | None) -> None:
    if kind not in UNIT_KINDS:
        raise InvalidInput(
            f"单位类型“{kind}”无效，可选城管分局或专业部门",
            code="invalid_unit_kind",
            message_en=f"unknown unit kind {kind!r}: town_branch or department",
            extra={"field": "kind"},
        )
    if town_code is not None and session.get(Town, town_code) is None:
        raise InvalidInput(
            f"镇街代码“{town_code}”不存在",
            code="unknown_town",
            message_en=f"unknown town code {town_code!r}",
            extra={"field": "town_code"},
        )
    if kind == "town_branch" and town_code is None:
        raise InvalidInput(
            "城管分局须属于一个镇街",
            code="town_required",
            message_en="a town branch belongs to a town",
            extra={"field": "town_code"},
        )


def create_unit(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    code: str,
    name: str,
    kind: str,
    town_code: str | None = None,
) -> Unit:
    require_admin(actor)
    _check(session, kind, town_code)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(
            f"单位代码“{code}”已存在",
            code="unit_code_taken",
            message_en=f"the unit code {code!r} is taken",
            extra={"field": "code"},
        )
    unit = Unit(code=code, name=name, kind=kind, town_code=town_code, is_active=True)
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="unit",
        key=unit.code,
        change="create",
        after=state(unit),
    )
    caches.drop_now_and_at_end(session, areas.matrix_changed)
    return unit


def update_unit(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    unit_id: int,
    changes: dict[str, Any],
) -> Unit:
    """Change `name`, `kind`, `town_code` (None: city-wide) or `is_active` of a unit."""
    require_admin(actor)
    unit = session.get(Unit, unit_id, with_for_update=True)
    if unit is None:
        raise NotFound("处置单位不存在", code="unit_not_found", message_en="no such unit")
    before = state(unit)
    kind = changes.get("kind", unit.kind)
    town_code = changes.get("town_code", unit.town_code)
    _check(session, kind, town_code)
    if changes.get("is_active") is False and unit.is_active:
        rules = session.scalar(select(func.count()).where(Responsibility.unit_id == unit.id)) or 0
        if rules:
            raise Conflict(
                f"责任矩阵中仍有 {rules} 条规则指向该单位，请先改派这些规则再停用",
                code="unit_in_matrix",
                message_en=f"{rules} rules of the responsibility matrix still route to this "
                "unit: reassign them first",
                extra={"rules": rules},
            )
    for name in ("name", "kind", "town_code", "is_active"):
        if name in changes:
            setattr(unit, name, changes[name])
    session.flush()
    old, new = audit.changed(before, state(unit))
    if new:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="unit",
            key=unit.code,
            change="update",
            before=old,
            after=new,
        )
        caches.drop_now_and_at_end(session, areas.matrix_changed)
    return unit
