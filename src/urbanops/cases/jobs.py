"""Case jobs: the deadline sweep every minute (`cases.sweep`), and folding the case tally
(`cases.tally`) every minute."""

from __future__ import annotations

import logging

from procrastinate import Blueprint

from urbanops.cases import tally
from urbanops.cases.sweep import BATCH, sweep
from urbanops.core.clock import scheduled_at
from urbanops.core.db import unit_of_work

log = logging.getLogger(__name__)
blueprint = Blueprint()


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="sweep_deadlines", queueing_lock="sweep_deadlines", pass_context=False)
def sweep_deadlines(timestamp: int | None = None) -> int:
    """Every minute: the sweep as at the minute it was scheduled for (the injected clock), in
    batches of `BATCH` cases, each batch in its own transaction."""
    now = scheduled_at(timestamp)
    total = 0
    while True:
        with unit_of_work() as session:
            seen = sweep(session, now, BATCH)
        total += seen
        if seen < BATCH:
            break
    if total:
        log.info("deadline sweep: %d cases escalated", total)
    return total


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="fold_case_tally", queueing_lock="fold_case_tally", pass_context=False)
def fold_case_tally(timestamp: int | None = None) -> bool:
    """Every minute: add up the case tally's rows of each key into one, so that the counts
    read one row per key however many cases changed (`cases.tally.fold`)."""
    with unit_of_work() as session:
        return tally.fold(session)
