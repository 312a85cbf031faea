"""Redemption rules in the service: stock, per-person limit, validity, points, idempotent
replay, cancellation with refund and stock back, issue and collect, expiry, low-stock alerts,
and cash red packets paid (or refunded) through the payment port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from urbanops.core.outbox import JobOutbox
from urbanops.core.settings import get_settings
from urbanops.identity import service as identity
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Actor, Role
from urbanops.notifications.models import Notification
from urbanops.rewards import ledger, payments, prizes, redemption
from urbanops.rewards.prize_models import Payout, Prize

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
_phone = iter(range(13800002000, 13800009999))


def person(session: Session, points: int = 0) -> Citizen:
    c = factories.citizen(session, str(next(_phone)), now=NOW)
    if points:
        factories.grant_points(session, c.id, points, now=NOW)
    return c


def clerk(session: Session, name: str = "p_clerk") -> Actor:
    user = factories.staff_member(session, name, [Role.rewards_clerk])
    return identity.actor_for_user(user)


def prize(session: Session, **values: Any) -> Prize:
    base: dict[str, Any] = {
        "name": "测试雨伞",
        "kind": "gift",
        "price_points": 100,
        "stock": 3,
        "per_person_limit": None,
        "low_stock_threshold": 0,
    }
    return prizes.create_prize(
        session, actor=clerk(session, f"p_maker_{next(_phone)}"), now=NOW, values=base | values
    )


def redeem(session: Session, c: Citizen, p: Prize, key: str = "k1", **kw: Any) -> Any:
    return redemption.redeem_reward(
        session, actor=citizen_actor(c), now=kw.pop("now", NOW), prize_id=p.id,
        idempotency_key=key, **kw,
    )  # fmt: skip


def available(session: Session, c: Citizen) -> int:
    return ledger.balance_of(session, c.id).available


def test_a_redemption_spends_the_price_takes_one_from_stock_and_gives_a_voucher(
    session: Session,
) -> None:
    c, p = person(session, 250), prize(session)
    done = redeem(session, c, p)
    r = done.redemption
    assert not done.replayed and r.status == "requested" and r.points == 100
    assert len(r.voucher_code) == 11 and r.voucher_code[5] == "-"
    assert p.stock == 2 and available(session, c) == 150
    assert [e.kind for e in ledger.entries_for(session, "redemption", r.id)] == ["spend"]
    assert r.expires_at == NOW + timedelta(days=get_settings().rewards.voucher_valid_days)
    assert ledger.inconsistent_citizens(session, [c.id]) == []


def test_the_same_key_returns_the_same_redemption_and_spends_once(session: Session) -> None:
    c, p = person(session, 500), prize(session)
    first = redeem(session, c, p, "same").redemption
    again = redeem(session, c, p, "same")
    assert again.replayed and again.redemption.id == first.id
    assert available(session, c) == 400 and p.stock == 2
    other = prize(session, name="另一件")
    with pytest.raises(Conflict) as reused:
        redeem(session, c, other, "same")
    assert reused.value.code == "idempotency_key_reused"
    with pytest.raises(InvalidInput) as missing:
        redeem(session, c, p, "")
    assert missing.value.code == "idempotency_key_required"


def test_out_of_stock_is_refused_and_nothing_is_spent(session: Session) -> None:
    p = prize(session, stock=1)
    a, b = person(session, 100), person(session, 100)
    redeem(session, a, p, "a")
    with pytest.raises(redemption.OutOfStock) as refused:
        redeem(session, b, p, "b")
    assert refused.value.code == "out_of_stock" and "兑完" in refused.value.message
    assert available(session, b) == 100 and p.stock == 0


def test_the_per_person_limit_counts_what_was_not_cancelled(session: Session) -> None:
    c, p = person(session, 1000), prize(session, per_person_limit=2, stock=10)
    first = redeem(session, c, p, "1").redemption
    redeem(session, c, p, "2")
    with pytest.raises(redemption.LimitReached) as refused:
        redeem(session, c, p, "3")
    assert refused.value.code == "limit_reached" and "每人限兑 2 份" in refused.value.message
    redemption.cancel_redemption(session, actor=citizen_actor(c), now=NOW, redemption_id=first.id)
    assert redeem(session, c, p, "4").redemption.status == "requested"


def test_validity_and_active_flag_are_checked(session: Session) -> None:
    c = person(session, 1000)
    later = prize(session, name="未开始", valid_from=NOW + timedelta(days=1))
    over = prize(session, name="已结束", valid_until=NOW - timedelta(seconds=1))
    off = prize(session, name="下架", active=False)
    codes = []
    for i, p in enumerate((later, over, off)):
        with pytest.raises(redemption.PrizeUnavailable) as refused:
            redeem(session, c, p, f"v{i}")
        codes.append(refused.value.code)
    assert codes == ["prize_not_yet_valid", "prize_expired", "prize_inactive"]
    assert available(session, c) == 1000


def test_points_one_does_not_have_cannot_be_spent(session: Session) -> None:
    c, p = person(session, 99), prize(session)
    ledger.post(
        session, citizen_id=c.id, kind="earn", key=f"t:earn:{c.id}", now=NOW, reason="有效上报",
        ref_type="case", ref_id=1, pending=500,
    )  # fmt: skip
    with pytest.raises(ledger.InsufficientPoints) as refused:
        redeem(session, c, p)
    assert "需要 100 分" in refused.value.message and "可用积分为 99 分" in refused.value.message
    assert p.stock == 3 and available(session, c) == 99


def test_cancel_refunds_and_returns_stock_and_only_once(session: Session) -> None:
    c, p = person(session, 100), prize(session)
    r = redeem(session, c, p).redemption
    redemption.cancel_redemption(session, actor=citizen_actor(c), now=NOW, redemption_id=r.id)
    assert r.status == "cancelled" and r.cancelled_by == "citizen"
    assert available(session, c) == 100 and p.stock == 3
    kinds = [e.kind for e in ledger.entries_for(session, "redemption", r.id)]
    assert kinds == ["spend", "refund"]
    with pytest.raises(Conflict) as again:
        redemption.cancel_redemption(session, actor=citizen_actor(c), now=NOW, redemption_id=r.id)
    assert again.value.code == "redemption_cancelled"
    stranger = person(session)
    with pytest.raises(NotFound):
        redemption.cancel_redemption(
            session, actor=citizen_actor(stranger), now=NOW, redemption_id=r.id
        )


def test_issue_then_collect_once_and_citizens_cannot_cancel_an_issued_one(
    session: Session,
) -> None:
    staff = clerk(session)
    c, p = person(session, 200), prize(session)
    r = redeem(session, c, p).redemption
    typed = r.voucher_code.lower().replace("-", " ")
    redemption.issue_voucher(session, actor=staff, now=NOW, code=typed)
    assert r.status == "issued" and r.issued_by == staff.id
    with pytest.raises(Conflict) as late:
        redemption.cancel_redemption(session, actor=citizen_actor(c), now=NOW, redemption_id=r.id)
    assert late.value.code == "redemption_issued"
    redemption.collect_voucher(session, actor=staff, now=NOW, code=r.voucher_code)
    assert r.status == "collected" and r.collected_by == staff.id
    with pytest.raises(Conflict) as twice:
        redemption.collect_voucher(session, actor=staff, now=NOW, code=r.voucher_code)
    assert twice.value.code == "redemption_collected"
    with pytest.raises(Conflict):
        redemption.cancel_redemption(session, actor=staff, now=NOW, redemption_id=r.id)
    assert available(session, c) == 100
    handler = identity.actor_for_user(factories.staff_member(session, "p_handler", [Role.handler]))
    with pytest.raises(PermissionDenied):
        redemption.collect_voucher(session, actor=handler, now=NOW, code=r.voucher_code)
    with pytest.raises(InvalidInput):
        redemption.collect_voucher(session, actor=staff, now=NOW, code="0000")


def test_staff_cancel_an_issued_one_with_refund_and_an_audit_entry(session: Session) -> None:
    staff = clerk(session)
    c, p = person(session, 100), prize(session)
    r = redeem(session, c, p).redemption
    redemption.issue_voucher(session, actor=staff, now=NOW, code=r.voucher_code)
    redemption.cancel_redemption(
        session, actor=staff, now=NOW, redemption_id=r.id, reason="奖品损坏"
    )
    assert r.cancelled_by == "staff" and r.cancel_reason == "奖品损坏"
    assert available(session, c) == 100 and p.stock == 3


def test_uncollected_vouchers_expire_with_refund_and_stock_back(session: Session) -> None:
    staff = clerk(session)
    c, p = person(session, 300), prize(session, valid_until=NOW + timedelta(days=3))
    r = redeem(session, c, p, "e1").redemption
    kept = redeem(session, c, p, "e2").redemption
    redemption.collect_voucher(session, actor=staff, now=NOW, code=kept.voucher_code)
    assert r.expires_at == NOW + timedelta(days=3)  # the prize's end comes first
    assert r.id not in redemption.due_for_expiry(session, NOW + timedelta(days=2))
    later = NOW + timedelta(days=3)
    with pytest.raises(Conflict) as expired:
        redemption.collect_voucher(session, actor=staff, now=later, code=r.voucher_code)
    assert expired.value.code == "voucher_expired"
    due = redemption.due_for_expiry(session, later)
    assert r.id in due and kept.id not in due
    assert redemption.expire_voucher(session, redemption_id=r.id, now=later)
    assert not redemption.expire_voucher(session, redemption_id=r.id, now=later)
    assert r.status == "cancelled" and r.cancelled_by == "expiry"
    assert available(session, c) == 200 and p.stock == 2


def test_low_stock_alerts_the_rewards_staff_once_per_crossing(session: Session) -> None:
    staff = clerk(session, "p_alerted")
    p = prize(session, stock=3, low_stock_threshold=2)
    buyers = [person(session, 100) for _ in range(3)]

    def alerts() -> list[dict[str, Any]]:
        return [
            j.args
            for j in session.scalars(
                select(JobOutbox).where(JobOutbox.task == prizes.LOW_STOCK_TASK)
            )
            if j.args["prize_id"] == p.id
        ]

    first = redeem(session, buyers[0], p, "l0").redemption  # 3 → 2: crossing 1
    redeem(session, buyers[1], p, "l1")  # 2 → 1: still below, no new crossing
    assert alerts() == [{"prize_id": p.id, "crossing": 1}]
    told = redemption.alert_low_stock(session, prize_id=p.id, crossing=1, now=NOW)
    assert told >= 1
    assert redemption.alert_low_stock(session, prize_id=p.id, crossing=1, now=NOW) == 0
    mine = session.scalars(
        select(Notification).where(
            Notification.recipient_kind == "user", Notification.recipient_id == staff.id
        )
    ).all()
    assert [n.title for n in mine] == ["好礼库存不足：测试雨伞"] and "提醒阈值 2 份" in mine[0].body
    # back above the threshold (a refund and a restock), then down again: a second crossing
    redemption.cancel_redemption(
        session, actor=citizen_actor(buyers[0]), now=NOW, redemption_id=first.id
    )
    prizes.update_prize(session, actor=staff, now=NOW, prize_id=p.id, changes={"stock": 5})
    prizes.update_prize(session, actor=staff, now=NOW, prize_id=p.id, changes={"stock": 1})
    assert alerts()[-1] == {"prize_id": p.id, "crossing": 2}


def test_a_cash_red_packet_is_paid_after_commit_and_collected(session: Session) -> None:
    c = person(session, 100)
    p = prize(session, name="红包", kind="cash_red_packet", face_value_fen=200, price_points=20)
    r = redeem(session, c, p).redemption
    payout = session.scalar(select(Payout).where(Payout.redemption_id == r.id))
    assert payout is not None and payout.status == "pending" and payout.amount_fen == 200
    jobs = session.scalars(select(JobOutbox).where(JobOutbox.task == redemption.PAY_TASK)).all()
    assert {"payout_id": payout.id} in [j.args for j in jobs]
    with pytest.raises(Conflict) as busy:
        redemption.cancel_redemption(session, actor=citizen_actor(c), now=NOW, redemption_id=r.id)
    assert busy.value.code == "cash_not_cancellable"
    assert redemption.attempt_payout(session, payout_id=payout.id, now=NOW) == "paid"
    assert redemption.attempt_payout(session, payout_id=payout.id, now=NOW) == "done"
    assert payout.status == "paid" and payout.attempts == 1 and r.status == "collected"
    port = payments.payment_port()
    assert isinstance(port, payments.LocalPayments)
    assert [t.out_no for t in port.paid].count(payout.out_no) == 1
    assert available(session, c) == 80


def test_a_payout_failing_every_try_is_given_up_and_refunded(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().rewards, "local_payout_fails", True)
    c = person(session, 100)
    p = prize(session, name="红包", kind="cash_red_packet", face_value_fen=1000, stock=5)
    r = redeem(session, c, p).redemption
    payout = session.scalar(select(Payout).where(Payout.redemption_id == r.id))
    assert payout is not None
    tries = get_settings().rewards.payout_max_attempts
    outcomes = [
        redemption.attempt_payout(session, payout_id=payout.id, now=NOW) for _ in range(tries)
    ]
    assert outcomes == ["retry"] * (tries - 1) + ["failed"]
    assert payout.status == "failed" and payout.attempts == tries and payout.last_error
    assert r.status == "cancelled" and r.cancelled_by == "payout_failed"
    assert available(session, c) == 100 and p.stock == 5
    assert ledger.inconsistent_citizens(session, [c.id]) == []


def test_the_wechat_transfer_request_has_the_documented_shape() -> None:
    cfg = get_settings().rewards.model_copy(update={"wechat_pay_appid": "wx123"})
    path, body = payments.transfer_request(
        cfg, payments.Transfer(out_no="UORP000000000001", amount_fen=200, openid="o-1", remark="x")
    )
    assert path == "/v3/transfer/batches"
    assert body["total_amount"] == 200 and body["total_num"] == 1 and body["appid"] == "wx123"
    assert body["transfer_detail_list"] == [
        {"out_detail_no": "UORP000000000001", "transfer_amount": 200, "transfer_remark": "x",
         "openid": "o-1"}
    ]  # fmt: skip


def test_the_catalogue_says_what_each_citizen_may_still_redeem(session: Session) -> None:
    c = person(session, 150)
    cheap = prize(session, name="便宜", price_points=100, per_person_limit=1)
    dear = prize(session, name="贵", price_points=1000)
    redeem(session, c, cheap)
    items = {i.prize.id: i for i in prizes.catalogue(session, citizen_id=c.id, now=NOW)}
    assert items[cheap.id].remaining_limit == 0 and items[cheap.id].mine == 1
    assert not items[dear.id].affordable and items[dear.id].remaining_limit is None
    assert session.scalar(select(func.count()).where(Prize.id.in_([cheap.id, dear.id]))) == 2


def test_demo_prizes_are_added_once_by_name(session: Session) -> None:
    from urbanops.rewards.demo_prizes import DEMO_PRIZES, load_demo_prizes

    load_demo_prizes(session, NOW)
    assert load_demo_prizes(session, NOW) == 0
    names = {row[0] for row in DEMO_PRIZES}
    have = session.scalar(select(func.count()).where(Prize.name.in_(names), Prize.is_demo))
    assert have == len(names)
