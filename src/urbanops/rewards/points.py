"""A citizen's points as they and the rewards staff read them (balance, counts, entries with a
label per kind), and the staff's manual adjustments.

An adjustment moves available points by a signed amount with a required reason, once per
`Idempotency-Key` of the staff member who sends it (`adjust:<user>:<key>`), audited like every
administrative write; one that would take the available points below zero is refused (409)
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.cases.models import Case
from urbanops.core.errors import Conflict, InvalidInput, NotFound
from urbanops.core.settings import get_settings
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Actor
from urbanops.rewards import ledger, profiles
from urbanops.rewards.earning_models import CaseReward
from urbanops.rewards.models import PointsEntry
from urbanops.rewards.prizes import require_rewards_staff

KIND_LABELS: dict[str, tuple[str, str]] = {
    "earn": ("有效上报（待到账）", "Valid report (pending)"),
    "release": ("积分到账", "Points released"),
    "clawback": ("待到账积分收回", "Pending points taken back"),
    "spend": ("兑换好礼", "Prize redeemed"),
    "refund": ("兑换退回", "Redemption refunded"),
    "adjust": ("人工调整", "Adjusted by staff"),
    "assist": ("助攻奖励", "Assist"),
    "expire": ("积分清零", "Points expired"),
}


@dataclass(frozen=True)
class Summary:
    citizen: Citizen
    balance: ledger.Balance
    value_fen: int  # what the available points are worth
    share_code: str
    valid_reports: int  # cases whose points were released
    pending_reports: int
    assists: int
    frozen: bool
    frozen_reason: str | None
    invited_by_id: int | None


@dataclass(frozen=True)
class EntryView:
    entry: PointsEntry
    label: str
    label_en: str
    case_id: int | None
    case_number: str | None


def require_citizen(session: Session, citizen_id: int) -> Citizen:
    person = session.get(Citizen, citizen_id)
    if person is None:
        raise NotFound("市民不存在", code="citizen_not_found", message_en="no such citizen")
    return person


def summary(session: Session, citizen: Citizen, now: datetime) -> Summary:
    bal = ledger.balance_of(session, citizen.id)
    prof = profiles.profile(session, citizen.id, now)
    counts = dict(
        session.execute(
            select(CaseReward.state, func.count())
            .where(CaseReward.citizen_id == citizen.id)
            .group_by(CaseReward.state)
        ).all()
    )
    assists = session.scalar(
        select(func.count(PointsEntry.id)).where(
            PointsEntry.citizen_id == citizen.id, PointsEntry.kind == "assist"
        )
    )
    return Summary(
        citizen=citizen,
        balance=bal,
        value_fen=bal.available * get_settings().rewards.point_value_fen,
        share_code=prof.share_code,
        valid_reports=int(counts.get("released", 0)),
        pending_reports=int(counts.get("pending", 0)),
        assists=int(assists or 0),
        frozen=prof.frozen_at is not None,
        frozen_reason=prof.frozen_reason,
        invited_by_id=prof.invited_by_id,
    )


def entries(
    session: Session, citizen_id: int, *, before_id: int | None = None, limit: int = 20
) -> list[EntryView]:
    """The citizen's entries, newest first, with the case number where the entry is a case's."""
    q = (
        select(PointsEntry)
        .where(PointsEntry.citizen_id == citizen_id)
        .order_by(PointsEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        q = q.where(PointsEntry.id < before_id)
    rows = list(session.scalars(q))
    case_ids = {int(e.ref_id) for e in rows if e.ref_type == "case" and e.ref_id.isdigit()}
    numbers = dict(
        session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all()
        if case_ids
        else []
    )
    out = []
    for e in rows:
        zh, en = KIND_LABELS[e.kind]
        case_id = int(e.ref_id) if e.ref_type == "case" and e.ref_id.isdigit() else None
        out.append(EntryView(e, zh, en, case_id, numbers.get(case_id) if case_id else None))
    return out


@dataclass(frozen=True)
class Adjusted:
    entry: PointsEntry
    balance: ledger.Balance
    replayed: bool


def _check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise InvalidInput(
            "请求须带 Idempotency-Key 请求头",
            code="idempotency_key_required",
            message_en="send an Idempotency-Key header",
            extra={"field": "Idempotency-Key"},
        )
    key = key.strip()
    if len(key) > 80 or not key.isascii() or not key.isprintable() or " " in key:
        raise InvalidInput(
            "Idempotency-Key 须为 1-80 个可见 ASCII 字符",
            code="invalid_idempotency_key",
            message_en="Idempotency-Key must be 1-80 visible ASCII characters",
            extra={"field": "Idempotency-Key"},
        )
    return key


def adjust_points(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    citizen_id: int,
    delta: int,
    reason: str,
    idempotency_key: str | None,
) -> Adjusted:
    """Move the citizen's available points by `delta` (audited); the same key again answers
    with the same entry, a different request under a used key is refused."""
    require_rewards_staff(actor)
    key = f"adjust:{actor.id}:{_check_key(idempotency_key)}"
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "请填写调整原因",
            code="reason_required",
            message_en="give a reason",
            extra={"field": "reason"},
        )
    if delta == 0:
        raise InvalidInput(
            "调整的积分不能为 0",
            code="zero_delta",
            message_en="delta must not be 0",
            extra={"field": "delta"},
        )
    require_citizen(session, citizen_id)
    balance = ledger.locked_balance(session, citizen_id, now)
    found = ledger.entry_for(session, key)
    if found is not None:
        if (found.citizen_id, found.available_delta, found.reason) != (citizen_id, delta, reason):
            raise Conflict(
                "该 Idempotency-Key 已用于另一次调整",
                code="idempotency_key_reused",
                message_en="this Idempotency-Key was used for another adjustment",
            )
        return Adjusted(found, balance, replayed=True)
    if balance.available + delta < 0:
        raise Conflict(
            f"调整后可用积分将为负数：当前可用 {balance.available} 分",
            code="adjustment_below_zero",
            message_en=f"the adjustment would leave fewer than 0 points ({balance.available} available)",
            extra={"available": balance.available},
        )
    entry = ledger.post(
        session,
        citizen_id=citizen_id,
        kind="adjust",
        key=key,
        now=now,
        reason=reason,
        ref_type="adjustment",
        ref_id=key.removeprefix("adjust:")[:64],
        available=delta,
        user_id=actor.id,
    )
    assert entry is not None  # the key was checked under the citizen's lock
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="points_adjustment",
        key=entry.id,
        change="create",
        after={"citizen_id": citizen_id, "delta": delta, "reason": reason},
    )
    return Adjusted(entry, ledger.balance_of(session, citizen_id), replayed=False)
