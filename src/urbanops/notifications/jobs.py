"""Notification jobs: turning case events into notifications, sending text and WeChat
messages, and the unit managers' morning digest.

All are safe to run twice (a stalled job is retried while its first run may have got far).
"""

from __future__ import annotations

import logging

from procrastinate import Blueprint, RetryStrategy

from urbanops.core.clock import scheduled_at, utcnow
from urbanops.core.db import unit_of_work
from urbanops.core.jobs import daily_at
from urbanops.core.settings import get_settings
from urbanops.notifications.delivery import deliver_sms, deliver_wechat
from urbanops.notifications.digest import send_digests
from urbanops.notifications.service import notify_case_event as notify

log = logging.getLogger(__name__)
blueprint = Blueprint()


@blueprint.task(name="notify_case_event", retry=3)
def notify_case_event(event_id: int) -> int:
    with unit_of_work() as session:
        return notify(session, event_id, now=utcnow())


# a gateway that is down is tried again after 2, 4, 8, 16 and 32 s
@blueprint.task(name="send_sms", retry=RetryStrategy(max_attempts=5, exponential_wait=2))
def send_sms(sms_id: int) -> bool:
    with unit_of_work() as session:
        return deliver_sms(session, sms_id, utcnow())


@blueprint.task(name="send_wechat", retry=RetryStrategy(max_attempts=5, exponential_wait=2))
def send_wechat(wechat_id: int) -> bool:
    with unit_of_work() as session:
        return deliver_wechat(session, wechat_id, utcnow())


# every morning (08:30 platform time by default); on days off it sends nothing
@blueprint.periodic(cron=daily_at(get_settings().notifications.digest_at))
@blueprint.task(name="send_daily_digests", queueing_lock="send_daily_digests", pass_context=False)
def send_daily_digests(timestamp: int | None = None) -> int:
    """The digest as at the time it was scheduled for (a late or repeated run decides alike)."""
    with unit_of_work() as session:
        sent = send_digests(session, scheduled_at(timestamp))
    if sent:
        log.info("daily digest sent to %d unit managers", sent)
    return sent
