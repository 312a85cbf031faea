"""Earning jobs: the timeline projection (queued through the outbox by the case changes that
matter to rewards, and every five minutes as a catch-up), the nightly release of points whose
case went `release_after_days` without a dispute, the quarterly reset when configured, and the
hourly farming signals (`rewards.farming`).

All are safe to run twice: every entry is posted once by its key, and the projection records
the events it read (`rewards.earning`). They hold the cursor's row lock, so they run one at a
time whatever the number of workers.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from procrastinate import Blueprint

from urbanops.core.clock import scheduled_at, utcnow
from urbanops.core.db import unit_of_work
from urbanops.core.jobs import daily_at
from urbanops.core.settings import get_settings
from urbanops.rewards import earning, farming

log = logging.getLogger(__name__)
blueprint = Blueprint()


def project_all() -> int:
    """Project until nothing is left, a batch per transaction; returns the rows read."""
    total = 0
    while True:
        with unit_of_work() as session:
            read = earning.project(session, now=utcnow())
        total += read
        if read < earning.BATCH:
            return total


@blueprint.task(
    name="project_timeline",
    queueing_lock="rewards_project_timeline",
    lock="rewards_projection",
    retry=3,
)
def project_timeline() -> int:
    return project_all()


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(name="catch_up", queueing_lock="rewards_catch_up", lock="rewards_projection")
def catch_up(timestamp: int | None = None) -> int:
    """Every five minutes: what no queued projection read (a row that committed late)."""
    return project_all()


@blueprint.periodic(cron=daily_at(time(3, 10)))
@blueprint.task(name="release_due", queueing_lock="rewards_release_due", lock="rewards_projection")
def release_due(timestamp: int | None = None) -> int:
    """Nightly: pending points of undisputed cases old enough become available."""
    now = scheduled_at(timestamp)
    total = 0
    while True:
        with unit_of_work() as session:
            seen = earning.release_due(session, now=now)
        total += seen
        if seen < earning.BATCH:
            break
    if total:
        log.info("rewards: %d cases' points released", total)
    return total


@blueprint.periodic(cron=daily_at(time(0, 5)))
@blueprint.task(name="quarterly_reset", queueing_lock="rewards_reset", lock="rewards_projection")
def quarterly_reset(timestamp: int | None = None) -> int:
    """Daily; on the first day of a quarter, with `rewards.reset_period = quarter`, the last
    quarter's available points expire."""
    now = scheduled_at(timestamp)
    today = earning.beijing_day(now)
    if get_settings().rewards.reset_period != "quarter" or today.day != 1 or today.month % 3 != 1:
        return 0
    return reset_all(earning.quarter_of(today - timedelta(days=1)), now=now)


def reset_all(period: str, *, now: datetime | None = None) -> int:
    """Expire every available point for `period` (the CLI's `urbanops rewards reset`)."""
    now = now or utcnow()
    total = 0
    while True:
        with unit_of_work() as session:
            done = earning.expire_available(session, period=period, now=now)
        total += done
        if done < earning.BATCH:
            return total


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="detect_farming", queueing_lock="rewards_detect_farming")
def detect_farming(timestamp: int | None = None) -> int:
    """Hourly: the farming signals of the last days, new flags stored for review."""
    with unit_of_work() as session:
        made = farming.detect(session, now=scheduled_at(timestamp))
    if made:
        log.info("rewards: %d new farming flags", made)
    return made
