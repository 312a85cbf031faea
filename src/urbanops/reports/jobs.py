"""Report jobs: retraining the classifier from the seed corpus and operators' corrections."""

from __future__ import annotations

import logging

from procrastinate import Blueprint

from urbanops.core.clock import utcnow
from urbanops.core.db import unit_of_work
from urbanops.reports.suggest import train_and_store

log = logging.getLogger(__name__)
blueprint = Blueprint()


@blueprint.periodic(cron="30 3 * * *")  # nightly, 03:30
@blueprint.task(name="retrain_classifier", queueing_lock="retrain_classifier", pass_context=False)
def retrain_classifier(timestamp: int | None = None) -> int:
    with unit_of_work() as session:
        row = train_and_store(session, utcnow())
        log.info("classifier retrained: %d samples, %d corrections", row.samples, row.corrections)
        return row.id
