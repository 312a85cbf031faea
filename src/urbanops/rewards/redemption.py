"""Redeeming prizes (兑换): the only writer of redemptions and of the stock they move.

`redeem_reward` runs in one transaction: it locks the prize row (`FOR UPDATE`), checks that the
prize is active and valid now, that stock is left and that the citizen's per-person limit is
not reached, posts the `spend` entry through `ledger.post` (which locks the citizen's balance
row and refuses before writing when the available points do not cover the price), takes one
from the stock and writes the redemption with its voucher code. Lock order: the prize, then
the citizen (the ledger's rule), in every writer here, so none waits for another in a circle.
Redemptions of one prize are serialised by its row lock; the CHECK `stock >= 0` would refuse an
oversell even from a writer that forgot to look.

The same `Idempotency-Key` (per citizen) returns the redemption it made, writing nothing more;
the key with another prize is refused.

States: requested → issued (staff prepared it, or topped up the phone) → collected (handed
over at a service station, by code or QR); or cancelled — by the citizen while requested, by
staff while requested or issued, by expiry, or by a failed payout — with a `refund` entry and
the stock given back. Expiry: a voucher not collected by its `expires_at` (the earlier of the
prize's `valid_until` and `rewards.voucher_valid_days` after redemption) is cancelled and
refunded by the periodic `expire_vouchers` job. A cash red packet has no voucher to collect:
its payout job pays it through the payment port after commit (collected when paid), retried;
after `rewards.payout_max_attempts` failed tries (or a permanent refusal) it is cancelled and
refunded. It cannot be cancelled by hand while its payout is under way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import any_, func, literal, or_, select, text
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.core import outbox
from urbanops.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from urbanops.core.settings import get_settings
from urbanops.identity.models import User
from urbanops.identity.roles import Actor, ActorKind, Role
from urbanops.notifications.models import Notification
from urbanops.rewards import ledger, vouchers
from urbanops.rewards.payments import PayoutFailed, Transfer, payment_port
from urbanops.rewards.prize_models import Payout, Prize, Redemption
from urbanops.rewards.prizes import KIND_LABELS, note_stock_change, require_rewards_staff

PAY_TASK = "prizes:pay_out"  # with `payout_id`
_KEY = re.compile(r"^[\x21-\x7e]{1,80}$")


class OutOfStock(Conflict):
    default_code = "out_of_stock"


class LimitReached(Conflict):
    default_code = "limit_reached"


class PrizeUnavailable(Conflict):
    default_code = "prize_unavailable"


class RedemptionState(Conflict):
    default_code = "redemption_state"


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    replayed: bool


def _citizen_id(actor: Actor) -> int:
    if actor.kind is not ActorKind.citizen or actor.id is None:
        raise PermissionDenied(
            "仅市民本人可兑换", code="citizens_only", message_en="only citizens redeem prizes"
        )
    return actor.id


def _check_key(key: str | None) -> str:
    if not key or not _KEY.match(key):
        raise InvalidInput(
            "请求须带 Idempotency-Key 请求头（1–80 个可见 ASCII 字符），重试时保持不变",
            code="idempotency_key_required",
            message_en="send an Idempotency-Key header (1-80 visible ASCII characters), "
            "the same on every retry",
        )
    return key


def _by_key(session: Session, citizen_id: int, key: str) -> Redemption | None:
    return session.scalar(
        select(Redemption)
        .where(Redemption.citizen_id == citizen_id, Redemption.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


def _replay(found: Redemption, prize_id: int) -> Redeemed:
    if found.prize_id != prize_id:
        raise Conflict(
            "该 Idempotency-Key 已用于兑换另一件好礼，请换一个新的",
            code="idempotency_key_reused",
            message_en="this Idempotency-Key was used for another prize",
        )
    return Redeemed(found, replayed=True)


def _locked_prize(session: Session, prize_id: int) -> Prize:
    prize = session.scalar(
        select(Prize)
        .where(Prize.id == prize_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if prize is None:
        raise NotFound("好礼不存在", code="prize_not_found", message_en="no such prize")
    return prize


def counted(session: Session, prize_id: int, citizen_id: int) -> int:
    """The citizen's redemptions of the prize that count against its per-person limit."""
    return int(
        session.scalar(
            select(func.count()).where(
                Redemption.prize_id == prize_id,
                Redemption.citizen_id == citizen_id,
                Redemption.status != "cancelled",
            )
        )
        or 0
    )


def _check_open(prize: Prize, now: datetime) -> None:
    if not prize.active:
        raise PrizeUnavailable(
            f"「{prize.name}」已下架", code="prize_inactive", message_en="the prize is withdrawn"
        )
    if prize.valid_from is not None and now < prize.valid_from:
        raise PrizeUnavailable(
            f"「{prize.name}」尚未开始兑换",
            code="prize_not_yet_valid",
            message_en="redemption of this prize has not started",
        )
    if prize.valid_until is not None and now >= prize.valid_until:
        raise PrizeUnavailable(
            f"「{prize.name}」的兑换已结束",
            code="prize_expired",
            message_en="redemption of this prize has ended",
        )


def _new_code(session: Session) -> str:
    for _ in range(8):
        code = vouchers.new_code()
        if session.scalar(select(Redemption.id).where(Redemption.voucher_code == code)) is None:
            return code
    raise RuntimeError("no free voucher code after 8 draws")  # ~never: 29^10 codes


def redeem_reward(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    prize_id: int,
    idempotency_key: str | None,
    openid: str | None = None,
) -> Redeemed:
    """Redeem one of the prize for the citizen `actor` (see the module's rules)."""
    citizen_id = _citizen_id(actor)
    key = _check_key(idempotency_key)
    found = _by_key(session, citizen_id, key)
    if found is not None:
        return _replay(found, prize_id)
    prize = _locked_prize(session, prize_id)
    found = _by_key(session, citizen_id, key)  # a twin request that held the lock before us
    if found is not None:
        return _replay(found, prize_id)
    _check_open(prize, now)
    if prize.stock <= 0:
        raise OutOfStock(
            f"「{prize.name}」已兑完，库存不足", message_en="out of stock", extra={"stock": 0}
        )
    if prize.per_person_limit is not None:
        mine = counted(session, prize.id, citizen_id)
        if mine >= prize.per_person_limit:
            raise LimitReached(
                f"「{prize.name}」每人限兑 {prize.per_person_limit} 份，您已兑换 {mine} 份",
                message_en=f"limit of {prize.per_person_limit} per person reached",
                extra={"limit": prize.per_person_limit, "redeemed": mine},
            )
    redemption_id = int(session.scalar(text("SELECT nextval('redemption_id_seq')")) or 0)
    try:
        ledger.post(
            session,
            citizen_id=citizen_id,
            kind="spend",
            key=f"spend:redemption:{redemption_id}",
            now=now,
            reason=f"兑换「{prize.name}」",
            ref_type="redemption",
            ref_id=redemption_id,
            available=-prize.price_points,
        )
    except ledger.InsufficientPoints as short:
        available = short.extra.get("available", 0)
        raise ledger.InsufficientPoints(
            f"积分不足：兑换「{prize.name}」需要 {prize.price_points} 分，"
            f"您的可用积分为 {available} 分",
            message_en=f"not enough points: {prize.price_points} needed, {available} available",
            extra={"price": prize.price_points, "available": available},
        ) from None
    before = prize.stock
    prize.stock -= 1
    note_stock_change(session, prize, before)
    cash = prize.kind == "cash_red_packet"
    days = get_settings().rewards.voucher_valid_days
    expires = None if cash else now + timedelta(days=days)
    if expires is not None and prize.valid_until is not None:
        expires = min(expires, prize.valid_until)
    redemption = Redemption(
        id=redemption_id,
        citizen_id=citizen_id,
        prize_id=prize.id,
        points=prize.price_points,
        status="requested",
        voucher_code=_new_code(session),
        idempotency_key=key,
        created_at=now,
        expires_at=expires,
    )
    session.add(redemption)
    session.flush()
    if cash:
        assert prize.face_value_fen is not None
        payout = Payout(
            redemption_id=redemption.id,
            citizen_id=citizen_id,
            amount_fen=prize.face_value_fen,
            out_no=f"UORP{redemption.id:012d}",
            openid=openid,
            adapter=get_settings().rewards.payment_adapter,
            status="pending",
            attempts=0,
            created_at=now,
        )
        session.add(payout)
        outbox.add_for(session, PAY_TASK, payout, "payout_id")
        session.flush()
    return Redeemed(redemption, replayed=False)


def _locked(session: Session, redemption: Redemption) -> tuple[Prize, Redemption]:
    """The redemption's prize and then the redemption itself, locked, as they are now."""
    prize = _locked_prize(session, redemption.prize_id)
    row = session.scalar(
        select(Redemption)
        .where(Redemption.id == redemption.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return prize, row


def _cancel(
    session: Session,
    prize: Prize,
    r: Redemption,
    *,
    now: datetime,
    by: str,
    reason: str,
) -> None:
    """Cancel a locked open redemption: stock back, points back (a `refund` entry)."""
    r.status, r.cancelled_at, r.cancelled_by, r.cancel_reason = "cancelled", now, by, reason
    prize.stock += 1
    ledger.post(
        session,
        citizen_id=r.citizen_id,
        kind="refund",
        key=f"refund:redemption:{r.id}",
        now=now,
        reason=f"「{prize.name}」兑换已取消（{reason}），退回积分",
        ref_type="redemption",
        ref_id=r.id,
        available=r.points,
    )
    session.flush()


def get_redemption(session: Session, redemption_id: int) -> Redemption:
    r = session.get(Redemption, redemption_id)
    if r is None:
        raise NotFound(
            "兑换记录不存在", code="redemption_not_found", message_en="no such redemption"
        )
    return r


def own_redemption(session: Session, *, citizen_id: int, redemption_id: int) -> Redemption:
    """The citizen's own redemption; another's is 404 (as if it did not exist)."""
    r = session.get(Redemption, redemption_id)
    if r is None or r.citizen_id != citizen_id:
        raise NotFound(
            "兑换记录不存在", code="redemption_not_found", message_en="no such redemption"
        )
    return r


def by_code(session: Session, *, actor: Actor, code: str) -> Redemption:
    require_rewards_staff(actor)
    r = session.scalar(
        select(Redemption).where(Redemption.voucher_code == vouchers.normalise(code))
    )
    if r is None:
        raise NotFound("兑换码不存在", code="voucher_not_found", message_en="no such voucher")
    return r


def _refuse_state(r: Redemption, doing: str) -> RedemptionState:
    said = {
        "collected": "已领取",
        "cancelled": "已取消",
        "issued": "已发放",
        "requested": "待发放",
    }[r.status]
    return RedemptionState(
        f"该兑换{said}，不能{doing}",
        code=f"redemption_{r.status}",
        message_en=f"the redemption is {r.status}",
    )


def cancel_redemption(
    session: Session, *, actor: Actor, now: datetime, redemption_id: int, reason: str | None = None
) -> Redemption:
    """A citizen cancels their own redemption before it is issued; staff cancel one that is
    not yet collected."""
    if actor.kind is ActorKind.citizen:
        assert actor.id is not None
        found = own_redemption(session, citizen_id=actor.id, redemption_id=redemption_id)
        allowed: tuple[str, ...] = ("requested",)
        by, why = "citizen", reason or "市民取消"
    else:
        require_rewards_staff(actor)
        found = get_redemption(session, redemption_id)
        allowed = ("requested", "issued")
        by, why = "staff", reason or "工作人员取消"
    prize, r = _locked(session, found)
    if prize.kind == "cash_red_packet" and r.status != "cancelled":
        raise RedemptionState(
            "现金红包发放中，不能取消；发放失败时会自动退回积分",
            code="cash_not_cancellable",
            message_en="a cash red packet is being paid and cannot be cancelled",
        )
    if r.status not in allowed:
        raise _refuse_state(r, "取消")
    status = r.status
    _cancel(session, prize, r, now=now, by=by, reason=why)
    if by == "staff":
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="redemption",
            key=r.id,
            change="cancel",
            before={"status": status},
            after={"status": "cancelled", "reason": why},
        )
    return r


def _staff_id(actor: Actor) -> int | None:
    return actor.id if actor.kind is ActorKind.staff else None


def _by_code_locked(session: Session, actor: Actor, code: str) -> Redemption:
    found = by_code(session, actor=actor, code=code)
    r = session.scalar(
        select(Redemption)
        .where(Redemption.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert r is not None
    prize = session.get(Prize, r.prize_id)
    assert prize is not None
    if prize.kind == "cash_red_packet":
        raise RedemptionState(
            "现金红包由系统直接发放，无需到驿站领取",
            code="cash_paid_by_system",
            message_en="cash red packets are paid by the system",
        )
    return r


def _check_not_expired(r: Redemption, now: datetime) -> None:
    if r.expires_at is not None and now >= r.expires_at:
        raise RedemptionState(
            "兑换码已过期，将自动取消并退回积分",
            code="voucher_expired",
            message_en="the voucher has expired",
        )


def issue_voucher(session: Session, *, actor: Actor, now: datetime, code: str) -> Redemption:
    """Staff have the prize ready (or have topped up the phone): requested → issued."""
    r = _by_code_locked(session, actor, code)
    if r.status != "requested":
        raise _refuse_state(r, "发放")
    _check_not_expired(r, now)
    r.status, r.issued_at, r.issued_by = "issued", now, _staff_id(actor)
    session.flush()
    return r


def collect_voucher(session: Session, *, actor: Actor, now: datetime, code: str) -> Redemption:
    """The citizen takes the prize at a service station: issued → collected. A requested one
    handed over on the spot is issued and collected at once."""
    r = _by_code_locked(session, actor, code)
    if r.status not in ("requested", "issued"):
        raise _refuse_state(r, "领取")
    _check_not_expired(r, now)
    if r.status == "requested":
        r.issued_at, r.issued_by = now, _staff_id(actor)
    r.status, r.collected_at, r.collected_by = "collected", now, _staff_id(actor)
    session.flush()
    return r


# --- expiry (the periodic job) -------------------------------------------------------------


def due_for_expiry(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(Redemption.id)
            .where(Redemption.status.in_(("requested", "issued")), Redemption.expires_at <= now)
            .order_by(Redemption.expires_at, Redemption.id)
            .limit(limit)
        )
    )


def expire_voucher(session: Session, *, redemption_id: int, now: datetime) -> bool:
    """Cancel and refund one voucher past its expiry; False when it no longer is one (collected
    or cancelled meanwhile). Each in its own transaction (prize, then citizen)."""
    found = session.get(Redemption, redemption_id)
    if found is None:
        return False
    prize, r = _locked(session, found)
    if r.status not in ("requested", "issued") or r.expires_at is None or now < r.expires_at:
        return False
    _cancel(session, prize, r, now=now, by="expiry", reason="兑换码逾期未领取")
    return True


# --- cash red packets (the payout job) -------------------------------------------------------


def attempt_payout(session: Session, *, payout_id: int, now: datetime) -> str:
    """Try to pay one pending payout: 'paid', 'retry' (a failure, tries left), 'failed'
    (given up: the redemption is cancelled and refunded) or 'done' (nothing to do)."""
    payout = session.scalar(
        select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payout is None or payout.status != "pending":
        return "done"
    redemption = get_redemption(session, payout.redemption_id)
    prize = session.get(Prize, redemption.prize_id)
    assert prize is not None
    payout.attempts += 1
    try:
        ref = payment_port().transfer(
            Transfer(
                out_no=payout.out_no,
                amount_fen=payout.amount_fen,
                openid=payout.openid,
                remark=f"全莞拍{prize.name}",
            )
        )
    except PayoutFailed as failed:
        payout.last_error = failed.reason[:500]
        if not failed.permanent and payout.attempts < get_settings().rewards.payout_max_attempts:
            return "retry"
        payout.status, payout.finished_at = "failed", now
        prize, r = _locked(session, redemption)
        if r.status in ("requested", "issued"):
            _cancel(session, prize, r, now=now, by="payout_failed", reason="现金红包发放失败")
        return "failed"
    payout.status, payout.finished_at, payout.provider_ref = "paid", now, ref[:64]
    paid = session.scalar(
        select(Redemption).where(Redemption.id == redemption.id).with_for_update()
    )
    assert paid is not None
    if paid.status == "requested":
        paid.status, paid.issued_at, paid.collected_at = "collected", now, now
    session.flush()
    return "paid"


# --- low-stock alerts (their job) --------------------------------------------------------------


def alert_low_stock(session: Session, *, prize_id: int, crossing: int, now: datetime) -> int:
    """Tell the rewards staff (clerks and admins) in their inbox that a prize's stock fell to
    its threshold; once per crossing (a second run finds it noted). Returns the staff told."""
    prize = session.get(Prize, prize_id, with_for_update=True, populate_existing=True)
    if prize is None or prize.low_stock_notified >= crossing:
        return 0
    prize.low_stock_notified = crossing
    told = or_(*(literal(r.value) == any_(User.roles) for r in (Role.rewards_clerk, Role.admin)))
    people = list(
        session.scalars(select(User.id).where(User.is_active.is_(True), told).order_by(User.id))
    )
    kind = KIND_LABELS.get(prize.kind, (prize.kind,))[0]
    title = f"好礼库存不足：{prize.name}"[:100]
    body = (
        f"{kind}「{prize.name}」剩余 {prize.stock} 份（提醒阈值 {prize.low_stock_threshold} 份），"
        "请及时补充库存或调整兑换。"
    )
    session.add_all(
        Notification(
            recipient_kind="user",
            recipient_id=uid,
            channel="in_app",
            title=title,
            body=body,
            created_at=now,
        )
        for uid in people
    )
    session.flush()
    return len(people)


# --- reads -------------------------------------------------------------------------------------


def my_redemptions(session: Session, citizen_id: int, limit: int = 100) -> list[Redemption]:
    return list(
        session.scalars(
            select(Redemption)
            .where(Redemption.citizen_id == citizen_id)
            .order_by(Redemption.id.desc())
            .limit(limit)
        )
    )


def staff_redemptions(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    prize_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Redemption]:
    require_rewards_staff(actor)
    q = select(Redemption).order_by(Redemption.id.desc()).limit(limit)
    if status is not None:
        q = q.where(Redemption.status == status)
    if prize_id is not None:
        q = q.where(Redemption.prize_id == prize_id)
    if before_id is not None:
        q = q.where(Redemption.id < before_id)
    return list(session.scalars(q))
