"""Title jobs: awarding what a citizen's counts have reached (written by the ledger's trigger
with each counted posting), and the month's 文明得分王 once the month is over.

Both are safe to run twice: awards are unique, and a month that has its 得分王 gets none again.
"""

from __future__ import annotations

import logging
from datetime import time

from procrastinate import Blueprint

from urbanops.core.clock import scheduled_at, utcnow
from urbanops.core.db import unit_of_work
from urbanops.core.jobs import daily_at
from urbanops.rewards import titles

log = logging.getLogger(__name__)
blueprint = Blueprint()


@blueprint.task(name="award_titles", retry=3)
def award_titles(citizen_id: int) -> int:
    with unit_of_work() as session:
        return len(titles.award_titles(session, citizen_id=citizen_id, now=utcnow()))


# every day at 00:10 platform time, for the month before: on the 1st it awards, on the other
# days it finds the month done (and makes up for a 1st when no worker ran)
@blueprint.periodic(cron=daily_at(time(0, 10)))
@blueprint.task(name="award_score_kings", queueing_lock="award_score_kings", pass_context=False)
def award_score_kings(timestamp: int | None = None) -> int:
    now = scheduled_at(timestamp)
    month = titles.previous_month(now)
    with unit_of_work() as session:
        done = titles.award_score_kings(session, month=month, now=now)
    if done:
        log.info("文明得分王 of %s: %d citizens", month, done)
    return done
