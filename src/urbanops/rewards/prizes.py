"""The prize catalogue (好礼): staff create and edit prizes (each change audited), citizens read
what each costs, what is left, how many more they may redeem and whether they can afford it.

Staff here are the rewards clerks (积分管理员) and admins (`require_rewards_staff`). Stock is
set by staff as "what is left" and then moved only under the prize's row lock (redemptions,
cancellations, expiry). When the stock falls to the low-stock threshold (from above), the
crossing is counted and an alert job queued (`note_stock_change`); the job tells the rewards
staff once per crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.core import outbox
from urbanops.core.errors import InvalidInput, NotFound, PermissionDenied
from urbanops.identity.roles import Actor, Role
from urbanops.rewards import ledger
from urbanops.rewards.prize_models import PRIZE_KINDS, Prize, Redemption

LOW_STOCK_TASK = "prizes:low_stock_alert"  # with `prize_id`, `crossing`

KIND_LABELS: dict[str, tuple[str, str]] = {
    "gift": ("文明随手礼", "Gift"),
    "outing": ("活动体验", "Outing"),
    "mystery": ("神秘大奖", "Mystery prize"),
    "phone_credit": ("话费", "Phone credit"),
    "data": ("流量", "Mobile data"),
    "cash_red_packet": ("现金红包", "Cash red packet"),
}
EDITABLE = (
    "name",
    "description",
    "kind",
    "price_points",
    "stock",
    "per_person_limit",
    "valid_from",
    "valid_until",
    "active",
    "image_url",
    "low_stock_threshold",
    "face_value_fen",
)


def require_rewards_staff(actor: Actor) -> None:
    if not actor.has(Role.rewards_clerk):
        raise PermissionDenied(
            "仅积分管理员或系统管理员可操作好礼与兑换",
            code="rewards_staff_only",
            message_en="only rewards clerks and admins manage prizes and redemptions",
        )


def state(p: Prize) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in EDITABLE:
        value = getattr(p, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _check(values: dict[str, Any]) -> None:
    if values["kind"] not in PRIZE_KINDS:
        raise InvalidInput(
            f"好礼类型不正确：{values['kind']}",
            code="invalid_prize_kind",
            message_en="unknown kind",
        )
    if values["kind"] == "cash_red_packet" and not values.get("face_value_fen"):
        raise InvalidInput(
            "现金红包须填写金额（分）",
            code="face_value_required",
            message_en="a cash red packet needs its amount (fen)",
        )
    start, end = values.get("valid_from"), values.get("valid_until")
    if start is not None and end is not None and start >= end:
        raise InvalidInput(
            "有效期的开始须早于结束",
            code="invalid_validity",
            message_en="valid_from must be before valid_until",
        )


def note_stock_change(session: Session, prize: Prize, before: int) -> None:
    """After the locked prize's stock moved from `before`: a fall to the threshold from above
    is a new crossing, whose alert job is written in this transaction."""
    threshold = prize.low_stock_threshold
    if before > threshold >= prize.stock:
        prize.low_stock_crossings += 1
        outbox.add(session, LOW_STOCK_TASK, prize_id=prize.id, crossing=prize.low_stock_crossings)


def create_prize(session: Session, *, actor: Actor, now: datetime, values: dict[str, Any]) -> Prize:
    require_rewards_staff(actor)
    _check(values)
    prize = Prize(
        **{k: values.get(k) for k in EDITABLE if k in values}, created_at=now, updated_at=now
    )
    if prize.active is None:
        prize.active = True
    if prize.description is None:
        prize.description = ""
    if prize.low_stock_threshold is None:
        prize.low_stock_threshold = 0
    prize.low_stock_crossings = prize.low_stock_notified = 0
    session.add(prize)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="prize",
        key=prize.id,
        change="create",
        after=state(prize),
    )
    return prize


def update_prize(
    session: Session, *, actor: Actor, now: datetime, prize_id: int, changes: dict[str, Any]
) -> Prize:
    """Change the given fields; the stock is set under the row lock (what is left now)."""
    require_rewards_staff(actor)
    prize = session.get(Prize, prize_id, with_for_update=True, populate_existing=True)
    if prize is None:
        raise NotFound("好礼不存在", code="prize_not_found", message_en="no such prize")
    before = state(prize)
    merged = {**before, **changes}
    for name in ("valid_from", "valid_until"):
        merged[name] = changes.get(name, getattr(prize, name))
    _check(merged)
    stock_before = prize.stock
    for name, value in changes.items():
        setattr(prize, name, value)
    prize.updated_at = now
    note_stock_change(session, prize, before=stock_before)
    session.flush()
    old, new = audit.changed(before, state(prize))
    if new:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="prize",
            key=prize.id,
            change="update",
            before=old,
            after=new,
        )
    return prize


def get_prize(session: Session, prize_id: int) -> Prize:
    prize = session.get(Prize, prize_id)
    if prize is None:
        raise NotFound("好礼不存在", code="prize_not_found", message_en="no such prize")
    return prize


def staff_prizes(session: Session, actor: Actor) -> list[Prize]:
    require_rewards_staff(actor)
    return list(session.scalars(select(Prize).order_by(Prize.price_points, Prize.id)))


def is_open(prize: Prize, now: datetime) -> bool:
    return (
        prize.active
        and (prize.valid_from is None or prize.valid_from <= now)
        and (prize.valid_until is None or now < prize.valid_until)
    )


@dataclass(frozen=True)
class CatalogueItem:
    prize: Prize
    mine: int  # the citizen's redemptions of it that count against the limit
    remaining_limit: int | None  # None: no per-person limit
    affordable: bool
    open: bool


def catalogue(session: Session, *, citizen_id: int, now: datetime) -> list[CatalogueItem]:
    """The active prizes (those not yet or no longer valid included, marked), cheapest first,
    as one citizen sees them."""
    prizes = list(
        session.scalars(
            select(Prize).where(Prize.active.is_(True)).order_by(Prize.price_points, Prize.id)
        )
    )
    counts: dict[int, int] = dict(
        session.execute(
            select(Redemption.prize_id, func.count())
            .where(Redemption.citizen_id == citizen_id, Redemption.status != "cancelled")
            .group_by(Redemption.prize_id)
        )
        .tuples()
        .all()
    )
    available = ledger.balance_of(session, citizen_id).available
    out = []
    for p in prizes:
        mine = counts.get(p.id, 0)
        remaining = None if p.per_person_limit is None else max(0, p.per_person_limit - mine)
        out.append(
            CatalogueItem(
                prize=p,
                mine=mine,
                remaining_limit=remaining,
                affordable=available >= p.price_points,
                open=is_open(p, now),
            )
        )
    return out
