"""The responsibility matrix (责任矩阵) run by an admin: its rules (town or city-wide × matter
class, single matter or everything → unit), added, changed and removed with an audit entry
each, and the tester that asks the real routing function (`areas.service.responsible_unit`)
which unit gets a matter at a town, and which rule decided it.

The most specific rule wins (`areas.service.rule_keys`): town + matter, town + class, city +
matter, city + class, town default, city default. Routing reads the matrix from a cache that
an edit drops at once in this process and that other processes reload within a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.admin import audit, caches
from urbanops.admin.access import require_admin
from urbanops.areas import service as areas
from urbanops.areas.models import Responsibility, Town, Unit
from urbanops.catalogue.models import Matter, MatterClass
from urbanops.core.errors import Conflict, InvalidInput, NotFound
from urbanops.identity.roles import Actor


@dataclass(frozen=True)
class Rule:
    town_code: str | None
    matter_class: str | None
    matter_code: str | None
    unit_id: int


def state(row: Responsibility) -> dict[str, Any]:
    return {
        "town_code": row.town_code,
        "matter_class": row.matter_class,
        "matter_code": row.matter_code,
        "unit_id": row.unit_id,
    }


def list_rules(session: Session, *, actor: Actor) -> list[Responsibility]:
    """Every rule, city-wide ones first, then by town, class and matter."""
    require_admin(actor)
    return list(
        session.scalars(
            select(Responsibility).order_by(
                Responsibility.town_code.nulls_first(),
                Responsibility.matter_class.nulls_first(),
                Responsibility.matter_code.nulls_first(),
            )
        )
    )


def _check(session: Session, rule: Rule, *, except_id: int | None = None) -> None:
    if rule.matter_class is not None and rule.matter_code is not None:
        raise InvalidInput(
            "一条规则只能指定大类或单个事项之一",
            code="class_or_matter",
            message_en="a rule names a matter class or a single matter, not both",
            extra={"field": "matter_code"},
        )
    if rule.town_code is not None and session.get(Town, rule.town_code) is None:
        raise InvalidInput(
            f"镇街代码“{rule.town_code}”不存在",
            code="unknown_town",
            message_en=f"unknown town code {rule.town_code!r}",
            extra={"field": "town_code"},
        )
    if rule.matter_class is not None and session.get(MatterClass, rule.matter_class) is None:
        raise InvalidInput(
            f"大类代码“{rule.matter_class}”不存在",
            code="unknown_matter_class",
            message_en=f"unknown matter class {rule.matter_class!r}",
            extra={"field": "matter_class"},
        )
    if rule.matter_code is not None and session.get(Matter, rule.matter_code) is None:
        raise InvalidInput(
            f"管理事项代码“{rule.matter_code}”不存在",
            code="unknown_matter",
            message_en=f"unknown matter code {rule.matter_code!r}",
            extra={"field": "matter_code"},
        )
    unit = session.get(Unit, rule.unit_id)
    if unit is None:
        raise InvalidInput(
            f"处置单位（编号 {rule.unit_id}）不存在",
            code="unknown_unit",
            message_en=f"unknown unit {rule.unit_id}",
            extra={"field": "unit_id"},
        )
    if not unit.is_active:
        raise InvalidInput(
            f"处置单位“{unit.name}”已停用，不能承接案件",
            code="unit_inactive",
            message_en="this unit is deactivated: it cannot take cases",
            extra={"field": "unit_id"},
        )
    same = session.scalar(
        select(Responsibility.id).where(
            Responsibility.town_code.is_not_distinct_from(rule.town_code),
            Responsibility.matter_class.is_not_distinct_from(rule.matter_class),
            Responsibility.matter_code.is_not_distinct_from(rule.matter_code),
            Responsibility.id != (except_id or 0),
        )
    )
    if same is not None:
        raise Conflict(
            "已有一条相同范围（镇街 × 事项）的规则，请直接修改它",
            code="rule_exists",
            message_en="a rule for the same town and matter exists: edit that one",
            extra={"rule_id": same},
        )


def _key(row: Responsibility | Rule) -> str:
    return "/".join(v or "*" for v in (row.town_code, row.matter_class, row.matter_code))


def add_rule(session: Session, *, actor: Actor, now: datetime, rule: Rule) -> Responsibility:
    require_admin(actor)
    _check(session, rule)
    row = Responsibility(**rule.__dict__)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="responsibility",
        key=_key(row),
        change="create",
        after=state(row),
    )
    caches.drop_now_and_at_end(session, areas.matrix_changed)
    return row


def _get(session: Session, rule_id: int) -> Responsibility:
    row = session.get(Responsibility, rule_id, with_for_update=True)
    if row is None:
        raise NotFound("规则不存在", code="rule_not_found", message_en="no such rule")
    return row


def update_rule(
    session: Session, *, actor: Actor, now: datetime, rule_id: int, rule: Rule
) -> Responsibility:
    require_admin(actor)
    row = _get(session, rule_id)
    before = state(row)
    _check(session, rule, except_id=row.id)
    for name, value in rule.__dict__.items():
        setattr(row, name, value)
    session.flush()
    old, new = audit.changed(before, state(row))
    if new:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="responsibility",
            key=_key(row),
            change="update",
            before=old,
            after=new,
        )
        caches.drop_now_and_at_end(session, areas.matrix_changed)
    return row


def remove_rule(session: Session, *, actor: Actor, now: datetime, rule_id: int) -> None:
    require_admin(actor)
    row = _get(session, rule_id)
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="responsibility",
        key=_key(row),
        change="delete",
        before=state(row),
    )
    session.delete(row)
    session.flush()
    caches.drop_now_and_at_end(session, areas.matrix_changed)


@dataclass(frozen=True)
class RoutingAnswer:
    town_code: str
    matter_code: str
    unit_id: int | None
    unit_name: str
    rule: Responsibility | None  # the rule that decided (None: no rule: triage)


def which_unit(
    session: Session, *, actor: Actor, town_code: str, matter_code: str
) -> RoutingAnswer:
    """Which unit intake would give `matter_code` reported at `town_code`, and by which rule."""
    require_admin(actor)
    if session.get(Town, town_code) is None:
        raise InvalidInput(
            f"镇街代码“{town_code}”不存在",
            code="unknown_town",
            message_en=f"unknown town code {town_code!r}",
            extra={"field": "town_code"},
        )
    if session.get(Matter, matter_code) is None:
        raise InvalidInput(
            f"管理事项代码“{matter_code}”不存在",
            code="unknown_matter",
            message_en=f"unknown matter code {matter_code!r}",
            extra={"field": "matter_code"},
        )
    routing = areas.responsible_unit(session, town_code, matter_code)
    if routing is None:
        return RoutingAnswer(town_code, matter_code, None, "", None)
    decided = None
    for town, cls, matter in areas.rule_keys(town_code, matter_code):
        decided = session.scalar(
            select(Responsibility).where(
                Responsibility.town_code.is_not_distinct_from(town),
                Responsibility.matter_class.is_not_distinct_from(cls),
                Responsibility.matter_code.is_not_distinct_from(matter),
            )
        )
        if decided is not None:
            break
    return RoutingAnswer(town_code, matter_code, routing.unit_id, routing.unit_name, decided)
