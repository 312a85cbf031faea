"""Turns a case event into notifications for the people it concerns (after commit)."""

from __future__ import annotations

from procrastinate import Blueprint

from urbanops.core.db import unit_of_work
from urbanops.notifications.service import notify_case_event as notify

blueprint = Blueprint()


@blueprint.task(name="notify_case_event", retry=3)
def notify_case_event(event_id: int) -> int:
    with unit_of_work() as session:
        return notify(session, event_id)
