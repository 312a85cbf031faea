"""Matters' time limits (时限) run by an admin: each matter's limit per stage (dispatch, handle,
verify) in natural hours, working hours or working days, or none for a stage without one.

The defaults come from data/time_limits.csv (`catalogue.reference.load_catalogue`, which
never overwrites an edit). A change applies to stages that start after it: running stages
keep the deadline they were given (as a published calendar moves only what it must). The
deadline clock's cached limits are dropped at once and when the transaction ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.admin import audit, caches
from urbanops.admin.access import require_admin
from urbanops.cases import clock
from urbanops.catalogue.models import STAGES, TIME_UNITS, Matter, TimeLimit
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.identity.roles import Actor

MAX_AMOUNT = 1000.0


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: str


def limits(session: Session, *, actor: Actor) -> list[tuple[Matter, dict[str, Limit]]]:
    """Every matter (active or not) with its limits by stage (two statements)."""
    require_admin(actor)
    by_matter: dict[str, dict[str, Limit]] = {}
    for t in session.scalars(select(TimeLimit)):
        by_matter.setdefault(t.matter_code, {})[t.stage] = Limit(t.amount, t.unit)
    matters = session.scalars(select(Matter).order_by(Matter.code))
    return [(m, by_matter.get(m.code, {})) for m in matters]


def _state(rows: Mapping[str, Limit]) -> dict[str, object]:
    return {s: {"amount": rows[s].amount, "unit": rows[s].unit} for s in sorted(rows)}


def set_limits(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    matter_code: str,
    stages: Mapping[str, Limit | None],
) -> dict[str, Limit]:
    """Set the stages given (None: the stage has no limit); the others stay as they are."""
    require_admin(actor)
    if session.get(Matter, matter_code) is None:
        raise NotFound(
            f"管理事项“{matter_code}”不存在",
            code="matter_not_found",
            message_en=f"no matter {matter_code!r}",
        )
    for stage, limit in stages.items():
        if stage not in STAGES:
            raise InvalidInput(
                f"环节“{stage}”无效，可选 dispatch、handle、verify",
                code="invalid_stage",
                message_en=f"unknown stage {stage!r}: dispatch, handle or verify",
                extra={"field": "stages"},
            )
        if limit is None:
            continue
        if limit.unit not in TIME_UNITS:
            raise InvalidInput(
                f"时长单位“{limit.unit}”无效",
                code="invalid_time_unit",
                message_en=f"unknown unit of time {limit.unit!r}",
                extra={"field": "unit"},
            )
        if not 0 < limit.amount <= MAX_AMOUNT:
            raise InvalidInput(
                f"时限须大于 0 且不超过 {MAX_AMOUNT:g}",
                code="invalid_amount",
                message_en=f"a time limit is more than 0 and at most {MAX_AMOUNT:g}",
                extra={"field": "amount"},
            )
    rows = {
        t.stage: t
        for t in session.scalars(
            select(TimeLimit).where(TimeLimit.matter_code == matter_code).with_for_update()
        )
    }
    before = {s: Limit(t.amount, t.unit) for s, t in rows.items()}
    for stage, limit in stages.items():
        row = rows.get(stage)
        if limit is None:
            if row is not None:
                session.delete(row)
                del rows[stage]
        elif row is None:
            rows[stage] = TimeLimit(
                matter_code=matter_code, stage=stage, amount=limit.amount, unit=limit.unit
            )
            session.add(rows[stage])
        else:
            row.amount, row.unit = limit.amount, limit.unit
    session.flush()
    after = {s: Limit(t.amount, t.unit) for s, t in rows.items()}
    old, new = audit.changed(_state(before), _state(after))
    gone = {s: before_s for s, before_s in _state(before).items() if s not in after}
    if new or gone:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="time_limit",
            key=matter_code,
            change="update",
            before={**old, **gone},
            after={**new, **dict.fromkeys(gone)},
        )
        caches.drop_now_and_at_end(session, lambda: clock.calendar_changed(session))
    return after
