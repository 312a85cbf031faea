"""Delivery of text messages (SMS port) and enterprise WeChat work messages (WeChat port),
after commit, by the `send_sms` and `send_wechat` jobs.

`queue_sms` / `queue_wechat` write an `outbound_sms` / `outbound_wechat` row and its job's
outbox row in the same transaction; `deliver_sms` / `deliver_wechat` (the jobs' bodies) send a
pending message once and record that they did. `queue_to_staff` picks a staff member's channel.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.core import outbox
from urbanops.notifications.models import OutboundSms, OutboundWechat, StaffContact
from urbanops.notifications.ports import sms_sender, wechat_sender

log = logging.getLogger(__name__)

SEND_TASK = "notifications:send_sms"  # with `sms_id`
WECHAT_TASK = "notifications:send_wechat"  # with `wechat_id`
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


def queue_wechat(session: Session, *, userid: str, text: str, now: datetime) -> OutboundWechat:
    """Record a work message to send and its job, in this transaction (sent after commit)."""
    row = OutboundWechat(wecom_userid=userid, text=text, status="pending", created_at=now)
    session.add(row)
    outbox.add_for(session, WECHAT_TASK, row, "wechat_id")
    return row


def queue_to_staff(session: Session, user_id: int, text: str, *, now: datetime) -> str | None:
    """Queue `text` to a staff member off the platform: a WeChat work message when they have a
    WeChat user id, else a text message when they have a phone; the channel used, or None."""
    contact = session.get(StaffContact, user_id)
    if contact is None:
        return None
    if contact.wecom_userid:
        queue_wechat(session, userid=contact.wecom_userid, text=text, now=now)
        return "wechat"
    if contact.phone:
        queue_sms(session, phone=contact.phone, text=text, purpose="case", now=now)
        return "sms"
    return None


def deliver_wechat(session: Session, wechat_id: int, now: datetime) -> bool:
    """Send one pending work message; True when it was sent now (locked like `deliver_sms`:
    at least once, never twice by two runs at the same time)."""
    row = session.scalars(
        select(OutboundWechat).where(OutboundWechat.id == wechat_id).with_for_update()
    ).one_or_none()
    if row is None or row.status != "pending":
        return False
    wechat_sender().send(row.wecom_userid, row.text)
    row.status, row.sent_at, row.text = "sent", now, ""
    return True
