"""Prize jobs: paying cash red packets after their redemption commits, telling staff of low
stock, and cancelling vouchers nobody collected in time.

All are safe to run twice: a payout is paid under its row lock and only while pending (the
provider sees the same transfer number on every try), an alert is written once per crossing,
an expiry only cancels a voucher that is still open and past its time.
"""

from __future__ import annotations

import logging

from procrastinate import Blueprint, RetryStrategy

from urbanops.core.clock import scheduled_at, utcnow
from urbanops.core.db import unit_of_work
from urbanops.rewards import redemption

log = logging.getLogger(__name__)
blueprint = Blueprint()


class PayoutRetry(Exception):
    """A payout failed with tries left: procrastinate runs the job again later."""


# the payout counts its own tries (`rewards.payout_max_attempts`) and gives up by itself;
# procrastinate's limit is only a backstop above it
@blueprint.task(name="pay_out", retry=RetryStrategy(max_attempts=50, exponential_wait=2))
def pay_out(payout_id: int) -> str:
    with unit_of_work() as session:
        outcome = redemption.attempt_payout(session, payout_id=payout_id, now=utcnow())
    if outcome == "retry":  # the failed try is recorded (committed) before the retry
        raise PayoutRetry(f"payout {payout_id} failed; retrying")
    if outcome == "failed":
        log.warning("payout %d given up: redemption cancelled and refunded", payout_id)
    return outcome


@blueprint.task(name="low_stock_alert", retry=3)
def low_stock_alert(prize_id: int, crossing: int) -> int:
    with unit_of_work() as session:
        return redemption.alert_low_stock(
            session, prize_id=prize_id, crossing=crossing, now=utcnow()
        )


@blueprint.periodic(cron="*/10 * * * *")
@blueprint.task(name="expire_vouchers", queueing_lock="expire_vouchers", pass_context=False)
def expire_vouchers(timestamp: int | None = None) -> int:
    """Every 10 minutes: vouchers past their expiry are cancelled and refunded, each in its own
    transaction (prize, then citizen, like every other writer)."""
    now = scheduled_at(timestamp)
    done = 0
    while True:
        with unit_of_work() as session:
            due = redemption.due_for_expiry(session, now)
        for rid in due:
            with unit_of_work() as session:
                done += redemption.expire_voucher(session, redemption_id=rid, now=now)
        if len(due) < 500:
            return done
