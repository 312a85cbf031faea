"""Delivery of messages to citizens through the SMS port."""

from __future__ import annotations

from sqlalchemy.orm import Session

from urbanops.notifications.ports import sms_sender


def send_sms_to_citizen(session: Session, citizen_id: int, text: str) -> bool:
    """Send to the citizen's bound phone; False when there is none."""
    from urbanops.identity.models import Citizen

    citizen = session.get(Citizen, citizen_id)
    if citizen is None or not citizen.phone:
        return False
    sms_sender().send(citizen.phone, f"【东莞城管】{text}")
    return True
