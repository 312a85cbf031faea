"""Delivery of text messages through the SMS port, after commit, by the `send_sms` job.

`queue_sms` writes an `outbound_sms` row and its job's outbox row in the same transaction;
`deliver_sms` (the job's body) sends a pending message once and records that it did.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.core import outbox
from urbanops.notifications.models import OutboundSms
from urbanops.notifications.ports import sms_sender

log = logging.getLogger(__name__)

SEND_TASK = "notifications:send_sms"  # with `sms_id`
SIGNATURE = "【东莞城管】"


def queue_sms(
    session: Session,
    *,
    phone: str,
    text: str,
    purpose: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> OutboundSms:
    """Record a message to send and its job, in this transaction (sent after commit)."""
    row = OutboundSms(
        phone=phone,
        purpose=purpose,
        text=f"{SIGNATURE}{text}",
        status="pending",
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    outbox.add_for(session, SEND_TASK, row, "sms_id")
    return row


def queue_sms_to_citizen(session: Session, citizen_id: int, text: str, *, now: datetime) -> bool:
    """Queue a message to the citizen's bound phone; False when there is none."""
    from urbanops.identity.models import Citizen

    citizen = session.get(Citizen, citizen_id)
    if citizen is None or not citizen.phone:
        return False
    queue_sms(session, phone=citizen.phone, text=text, purpose="case", now=now)
    return True


def deliver_sms(session: Session, sms_id: int, now: datetime) -> bool:
    """Send one pending message; True when it was sent now.

    The row is locked, so two runs of the same job (a retried stalled job beside a slow one)
    cannot both send. A run that sends and then dies before its commit leaves the row pending and
    the retry sends again: delivery is at least once, never silently dropped.
    """
    row = session.scalars(
        select(OutboundSms).where(OutboundSms.id == sms_id).with_for_update()
    ).one_or_none()
    if row is None or row.status != "pending":
        return False
    if row.expires_at is not None and now >= row.expires_at:
        row.status, row.text = "expired", ""
        log.warning("SMS %d expired before it could be sent", row.id)
        return False
    sms_sender().send(row.phone, row.text)
    row.status, row.sent_at, row.text = "sent", now, ""
    return True
