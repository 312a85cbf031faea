"""Periodic jobs keep the platform's time: cron in Asia/Shanghai, the sweep on its own clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases.jobs import sweep_deadlines
from urbanops.cases.models import CaseEvent
from urbanops.core.clock import utcnow
from urbanops.core.jobs import daily_at
from urbanops.identity.roles import SYSTEM
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report
from urbanops.worker import job_app

from ...factories import retire_case
from ..conftest import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")
HUMEN = (22.8191, 113.6968)


def next_run(task_name: str, after: datetime) -> datetime:
    """When the worker's own periodic deferrer next defers the task, from `after`."""
    registry = job_app().periodic_registry
    (task,) = [pt for pt in registry.periodic_tasks.values() if pt.task.name == task_name]
    at = task.croniter.get_next(ret_type=float, start_time=after.timestamp())
    return datetime.fromtimestamp(at, UTC)


@pytest.mark.parametrize(
    "after",
    [
        datetime(2026, 12, 2, 3, 0, tzinfo=SHANGHAI),  # half an hour before
        datetime(2026, 12, 2, 4, 0, tzinfo=SHANGHAI),  # just after: the next night
        datetime(2026, 12, 2, 11, 31, tzinfo=SHANGHAI),  # after 03:30 UTC, the old mistake
        datetime(2027, 7, 1, 23, 59, tzinfo=SHANGHAI),  # summer: no daylight saving here
    ],
)
def test_the_nightly_retraining_runs_at_0330_beijing_time(after: datetime) -> None:
    run = next_run("reports:retrain_classifier", after).astimezone(SHANGHAI)
    assert (run.hour, run.minute) == (3, 30)
    assert timedelta(0) < run - after <= timedelta(days=1)
    # the deferrer wakes for it too (nothing else is due between now and then at this hour)
    deferrer = PeriodicDeferrer(job_app().periodic_registry)
    assert deferrer.get_next_tick(at=after.timestamp()) <= (run - after).total_seconds()


def test_daily_lines_are_written_in_utc_for_fixed_offset_zones_only() -> None:
    assert daily_at(time(3, 30), "Asia/Shanghai") == "30 19 * * *"
    assert daily_at(time(9, 5), "Asia/Shanghai") == "5 1 * * *"
    assert daily_at(time(3, 30), "UTC") == "30 3 * * *"
    with pytest.raises(ValueError, match="UTC offset"):
        daily_at(time(3, 30), "Europe/Berlin")


def test_the_sweep_decides_as_at_its_scheduled_time(committed: sessionmaker[Session]) -> None:
    """A case of March; the real clock is long past its due time, the job's clock is not."""
    with committed.begin() as s:
        case = submit_report(
            s,
            actor=SYSTEM,
            now=NOW,
            source="api",
            data=ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="09006"),  # 4 natural hours
        ).case
        case_id = case.id

    def ladder() -> list[str]:
        with committed() as s:
            return list(
                s.scalars(
                    select(CaseEvent.action)
                    .where(CaseEvent.case_id == case_id, CaseEvent.actor_kind == "system")
                    .where(CaseEvent.action.in_(["remind", "mark_overdue", "urge", "escalate"]))
                    .order_by(CaseEvent.id)
                )
            )

    try:
        sweep_deadlines(int((NOW + timedelta(hours=1)).timestamp()))
        assert ladder() == []
        sweep_deadlines(int((NOW + timedelta(hours=3, minutes=30)).timestamp()))
        assert ladder() == ["remind"]
        with committed() as s:
            remind = s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "remind")
            ).one()
            assert remind.at == NOW + timedelta(hours=3, minutes=30)
    finally:
        with committed.begin() as s:
            s.execute(
                text(
                    "DELETE FROM procrastinate_jobs WHERE (args->>'event_id')::bigint IN "
                    "(SELECT id FROM case_event WHERE case_id = :c)"
                ),
                {"c": case_id},
            )
            retire_case(s, case_id, now=utcnow())  # its rows stay: the timeline is append-only
