"""Notification jobs: turning case events into notifications, and sending text messages.

Both are safe to run twice (a stalled job is retried while its first run may have got far).
"""

from __future__ import annotations

from procrastinate import Blueprint, RetryStrategy

from urbanops.core.clock import utcnow
from urbanops.core.db import unit_of_work
from urbanops.notifications.delivery import deliver_sms
from urbanops.notifications.service import notify_case_event as notify

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
