"""The ladder's top rung: an escalated case notifies the active leaders, through the real job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases.models import CaseEvent
from urbanops.cases.sweep import sweep
from urbanops.core.clock import utcnow
from urbanops.identity import service as identity
from urbanops.identity.models import User
from urbanops.identity.roles import SYSTEM, Role
from urbanops.notifications.models import Notification
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ...factories import retire_case
from .conftest import work_off_jobs

HUMEN = (22.8191, 113.6968)


def test_an_escalated_case_notifies_active_leaders_only(committed: sessionmaker[Session]) -> None:
    people = {
        "leader": [Role.leader],
        "leader_chief": [Role.shift_chief, Role.leader],
        "leader_gone": [Role.leader],
        "dispatcher": [Role.dispatcher],
    }
    now = utcnow()
    with committed.begin() as s:
        users = {
            name: identity.create_user(
                s,
                username=f"esc_{name}",
                password="test-password",
                display_name=name,
                roles=roles,
            )
            for name, roles in people.items()
        }
        users["leader_gone"].is_active = False
        ids = {name: u.id for name, u in users.items()}
        case = submit_report(
            s,
            actor=SYSTEM,
            now=now,
            source="api",
            data=ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="09006"),
        ).case
        case_id = case.id
    try:
        with committed.begin() as s:  # the sweep, days after the case fell due: every rung
            assert sweep(s, now + timedelta(days=10)) >= 1
        work_off_jobs()
        with committed() as s:
            escalation = s.scalars(
                select(CaseEvent).where(
                    CaseEvent.case_id == case_id, CaseEvent.action == "escalate"
                )
            ).one()
            told = set(
                s.scalars(
                    select(Notification.recipient_id).where(
                        Notification.event_id == escalation.id,
                        Notification.recipient_kind == "user",
                    )
                )
            )
            every_active_leader = {
                u.id for u in s.scalars(select(User)) if u.is_active and Role.leader in u.roles
            }
        assert {ids["leader"], ids["leader_chief"]} <= told
        assert ids["leader_gone"] not in told and ids["dispatcher"] not in told
        assert told == every_active_leader
    finally:
        with committed.begin() as s:
            s.execute(
                text(
                    "DELETE FROM procrastinate_jobs WHERE (args->>'event_id')::bigint IN "
                    "(SELECT id FROM case_event WHERE case_id = :c)"
                ),
                {"c": case_id},
            )
            s.execute(delete(Notification).where(Notification.case_id == case_id))
            retire_case(s, case_id, now=utcnow())  # its rows stay: the timeline is append-only
            s.execute(delete(User).where(User.id.in_(ids.values())))
