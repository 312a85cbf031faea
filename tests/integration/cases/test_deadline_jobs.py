"""The deadline sweep on the real schema, and jobs processed by a real procrastinate worker."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.sweep import sweep
from urbanops.core import outbox
from urbanops.core.clock import utcnow
from urbanops.core.jobs import conninfo
from urbanops.identity.roles import SYSTEM
from urbanops.notifications.models import Notification
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report
from urbanops.worker import job_app

from ...factories import retire_case
from ..conftest import NOW

HUMEN = (22.8191, 113.6968)


def ladder(session: Session, case: Case) -> list[str]:
    return list(
        session.scalars(
            select(CaseEvent.action)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.actor_kind == "system",
                CaseEvent.action.in_(["remind", "mark_overdue", "urge", "escalate"]),
            )
            .order_by(CaseEvent.id)
        )
    )


def test_sweep_climbs_the_ladder_once_per_step(session: Session) -> None:
    data = ReportIn(
        lat=HUMEN[0], lon=HUMEN[1], matter_code="09006"
    )  # handle within 4 natural hours
    case = submit_report(session, actor=SYSTEM, now=NOW, data=data, source="api").case
    assert case.due_at == NOW + timedelta(hours=4)
    sweep(session, NOW + timedelta(hours=1))
    assert ladder(session, case) == [] and not case.overdue
    sweep(session, NOW + timedelta(hours=3, minutes=30))
    assert ladder(session, case) == ["remind"]
    sweep(session, NOW + timedelta(hours=5))
    sweep(session, NOW + timedelta(hours=5, minutes=1))  # nothing new: already overdue
    assert ladder(session, case) == ["remind", "mark_overdue"] and case.overdue
    sweep(session, NOW + timedelta(days=10))
    assert ladder(session, case) == ["remind", "mark_overdue", "urge", "escalate"]
    assert case.escalation_level == 4 and case.next_step_at is None


def test_a_late_sweep_records_every_step_it_skipped(session: Session) -> None:
    data = ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="09006")
    case = submit_report(session, actor=SYSTEM, now=NOW, data=data, source="api").case
    sweep(session, NOW + timedelta(days=5))
    assert ladder(session, case) == ["remind", "mark_overdue", "urge", "escalate"]


def test_worker_turns_committed_events_into_notifications(engine: Engine) -> None:
    """Commits for real (the worker runs in its own connections), then cleans up."""
    from sqlalchemy.orm import sessionmaker

    maker = sessionmaker(engine, expire_on_commit=False)
    with maker.begin() as s:
        # the real time: the worker's periodic deadline sweep must find nothing due yet
        result = submit_report(
            s,
            actor=SYSTEM,
            now=utcnow(),
            source="api",
            data=ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="06042"),
        )
        case_id = result.case.id
    try:
        app = job_app()

        async def work() -> None:
            async with app.open_async():
                await outbox.drain_all(app, conninfo())  # the events' jobs wait in the outbox
                await app.run_worker_async(
                    wait=False, install_signal_handlers=False, queues=["default"]
                )

        # on its own thread: an event loop may already run on this one (Playwright's, in a full run)
        runner = threading.Thread(target=lambda: asyncio.run(work()))
        runner.start()
        runner.join(timeout=120)
        with maker() as s:
            rows = s.scalars(select(Notification).where(Notification.case_id == case_id)).all()
            assert [(n.recipient_kind, n.channel) for n in rows] == [("unit", "in_app")]
            assert "派遣" in rows[0].title
    finally:
        with maker.begin() as s:
            s.execute(
                text(
                    "DELETE FROM procrastinate_jobs WHERE (args->>'event_id')::bigint IN "
                    "(SELECT id FROM case_event WHERE case_id = :c)"
                ),
                {"c": case_id},
            )
            s.execute(delete(Notification).where(Notification.case_id == case_id))
            retire_case(s, case_id, now=utcnow())  # its rows stay: the timeline is append-only
