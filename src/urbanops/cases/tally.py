"""The case tally: exact counts per status, town, unit and overdue flag without reading cases.

Statement triggers on `case` (migration 0020) add, in the writing statement's transaction, one
`case_tally` row per key (status, town, unit, overdue) that the statement changed, holding the
change (+n, -n). Rows are only ever added by writers, so concurrent intakes never wait for each
other on a counter; `fold` (the `fold_case_tally` job, every minute) replaces each key's rows
by their sum in one transaction. In every snapshot the sum of `n` over a key is the number of
cases with that key, folded or not: counts read from here are exact, not estimates.

The console's counts use it when the filter asks for nothing but statuses, town, unit and
overdue and the caller reads every case or one unit's (`serves`); other filters and an area
chief's patch are counted from the cases (`cases.listing.case_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases.models import CaseTally
from urbanops.cases.queries import CaseScope

KEY = "status, town_code, unit_id, overdue"
FOLD = text(
    f"""
    WITH gone AS (DELETE FROM case_tally RETURNING {KEY}, n)
    INSERT INTO case_tally ({KEY}, n)
    SELECT {KEY}, sum(n) FROM gone GROUP BY {KEY} HAVING sum(n) <> 0
    """
)
FOLD_LOCK = 0x7A11_CA5E  # one fold at a time (another one waiting would find nothing to do)


def fold(session: Session) -> bool:
    """Add up each key's rows into one (keys whose cases are all gone disappear); False when
    another fold is running. Writers are not held up: their new rows are not in this
    statement's snapshot and stay for the next fold."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FOLD_LOCK}):
        return False
    session.execute(FOLD)
    return True


@dataclass(frozen=True)
class Tallied:
    status: str
    town_code: str | None
    overdue: bool
    n: int


def tallied(
    session: Session,
    statuses: tuple[str, ...],
    *,
    town_code: str | None,
    unit_id: int | None,
    overdue: bool | None,
) -> list[Tallied]:
    """The number of cases per (status, town, overdue) among `statuses`, in one town and / or
    unit if given, with the overdue flag if given; keys without cases are left out."""
    stmt = (
        select(CaseTally.status, CaseTally.town_code, CaseTally.overdue, func.sum(CaseTally.n))
        .where(CaseTally.status.in_(statuses))
        .group_by(CaseTally.status, CaseTally.town_code, CaseTally.overdue)
        .having(func.sum(CaseTally.n) != 0)
    )
    if town_code is not None:
        stmt = stmt.where(CaseTally.town_code == town_code)
    if unit_id is not None:
        stmt = stmt.where(CaseTally.unit_id == unit_id)
    if overdue is not None:
        stmt = stmt.where(CaseTally.overdue.is_(overdue))
    return [Tallied(s, t, bool(o), int(n)) for s, t, o, n in session.execute(stmt)]


def serves(scope: CaseScope) -> bool:
    """Whether the tally can count within `scope`: every case, or one unit's (an area chief's
    communities and grid cells are not in its key)."""
    return scope.everything or (
        scope.unit_id is not None and not scope.communities and not scope.grid_cells
    )
