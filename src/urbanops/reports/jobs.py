"""Report jobs: retraining the classifier from the corpus and the clerks' decisions."""

from __future__ import annotations

import logging
from datetime import time

from procrastinate import Blueprint

from urbanops.core.clock import scheduled_at
from urbanops.core.db import unit_of_work
from urbanops.core.jobs import daily_at
from urbanops.reports.suggest import train_and_store

log = logging.getLogger(__name__)
blueprint = Blueprint()


# nightly at 03:30 in the platform's timezone (19:30 UTC for Asia/Shanghai)
@blueprint.periodic(cron=daily_at(time(3, 30)))
@blueprint.task(name="retrain_classifier", queueing_lock="retrain_classifier", pass_context=False)
def retrain_classifier(timestamp: int | None = None) -> int:
    with unit_of_work() as session:
        done = train_and_store(session, scheduled_at(timestamp))
        row = done.row
        log.info(
            "classifier retrained: %d samples, %d clerk decisions%s",
            row.samples,
            row.corrections,
            f"; not published: {done.refused}" if done.refused else "",
        )
        return row.id
