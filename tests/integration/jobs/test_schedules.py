"""Periodic jobs keep the platform's time: cron in Asia/Shanghai, the sweep on its own clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases.jobs import sweep_deadlines
from urbanops.cases.models import CaseEvent
from urbanops.cases.workflow import CaseStatus as S
from urbanops.core.jobs import daily_at
from urbanops.worker import job_app

from ...factories import HUMEN, committed_case
from ..conftest import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
    dispatched = committed_case(
        committed,
        S.dispatched,
        now=NOW,
        where=HUMEN,
        matter_code="09006",  # 4 natural hours
    )
    with dispatched as case_id:

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

        sweep_deadlines(int((NOW + timedelta(hours=1)).timestamp()))
        assert ladder() == []
        sweep_deadlines(int((NOW + timedelta(hours=3, minutes=30)).timestamp()))
        assert ladder() == ["remind"]
        with committed() as s:
            remind = s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "remind")
            ).one()
            assert remind.at == NOW + timedelta(hours=3, minutes=30)
