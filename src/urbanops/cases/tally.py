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

The same triggers keep the map tally (`case_map_tally`, migration 0023): the open cases per
res-7 h3 cell, town and overdue flag, with the sums of their positions, folded with the case
tally; each row also holds the envelope of the cases it adds (migration 0024: a removal adds
none, a fold keeps the widest), so a key's envelope holds every case it counts. The console's
map of the city for a caller who reads every case adds its cells up by parent (`map_cells`,
`cases.casemap`), and a map box needs the cases themselves only for the cells whose envelope
it cuts; a unit's map reads that unit's open cases from their covering index, which is faster
than any tally of every unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases.models import CaseMapTally, CaseTally
from urbanops.cases.queries import CaseScope

KEY = "status, town_code, unit_id, overdue"
FOLD = text(
    f"""
    WITH gone AS (DELETE FROM case_tally RETURNING {KEY}, n)
    INSERT INTO case_tally ({KEY}, n)
    SELECT {KEY}, sum(n) FROM gone GROUP BY {KEY} HAVING sum(n) <> 0
    """
)
MAP_KEY = "cell, town_code, overdue"
MAP_SUMS = "n, lat_sum, lon_sum, lat_min, lat_max, lon_min, lon_max"
MAP_FOLD = text(
    f"""
    WITH gone AS (DELETE FROM case_map_tally RETURNING {MAP_KEY}, {MAP_SUMS})
    INSERT INTO case_map_tally ({MAP_KEY}, {MAP_SUMS})
    SELECT {MAP_KEY}, sum(n), sum(lat_sum), sum(lon_sum),
        min(lat_min), max(lat_max), min(lon_min), max(lon_max)
    FROM gone GROUP BY {MAP_KEY} HAVING sum(n) <> 0
    """
)
# the resolution of the map tally's cells: `cell` is a case's `h3_int` shifted right by 24
MAP_RESOLUTION = 7
FOLD_LOCK = 0x7A11_CA5E  # one fold at a time (another one waiting would find nothing to do)


def fold(session: Session) -> bool:
    """Add up each key's rows into one (keys whose cases are all gone disappear), in each tally
    that has a key of several rows; False when another fold is running. Writers are not held
    up: their new rows are not in this statement's snapshot and stay for the next fold."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FOLD_LOCK}):
        return False
    for table, key, fold_rows in (("case_tally", KEY, FOLD), ("case_map_tally", MAP_KEY, MAP_FOLD)):
        # a key of several rows (a minute without changes leaves none: nothing is rewritten)
        several = f"SELECT EXISTS (SELECT FROM {table} GROUP BY {key} HAVING count(*) > 1)"
        if session.scalar(text(several)):
            session.execute(fold_rows)
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


@dataclass(frozen=True)
class MapCell:
    """The open cases of one res-7 cell (`key`: `h3_int` shifted right by 24) that a filter
    asks for: how many, how many overdue, the sums of their positions, and an envelope that
    holds every one of them."""

    key: int
    n: int
    overdue: int
    lat_sum: float
    lon_sum: float
    south: float
    north: float
    west: float
    east: float


def map_cells(session: Session, *, town_code: str | None, overdue: bool | None) -> list[MapCell]:
    """The open cases per res-7 cell, in one town and with the overdue flag if given."""
    n = func.sum(CaseMapTally.n)
    stmt = (
        select(
            CaseMapTally.cell,
            n,
            func.coalesce(func.sum(CaseMapTally.n).filter(CaseMapTally.overdue.is_(True)), 0),
            func.sum(CaseMapTally.lat_sum),
            func.sum(CaseMapTally.lon_sum),
            func.min(CaseMapTally.lat_min),
            func.max(CaseMapTally.lat_max),
            func.min(CaseMapTally.lon_min),
            func.max(CaseMapTally.lon_max),
        )
        .group_by(CaseMapTally.cell)
        .having(n != 0)
    )
    if town_code is not None:
        stmt = stmt.where(CaseMapTally.town_code == town_code)
    if overdue is not None:
        stmt = stmt.where(CaseMapTally.overdue.is_(overdue))
    inf = float("inf")  # an unknown envelope (none should be): anywhere, so never taken whole
    return [
        MapCell(
            int(k),
            int(c),
            int(late),
            float(a),
            float(b),
            -inf if s is None else s,
            inf if nn is None else nn,
            -inf if w is None else w,
            inf if e is None else e,
        )
        for k, c, late, a, b, s, nn, w, e in session.execute(stmt)
    ]


def serves(scope: CaseScope) -> bool:
    """Whether the tally can count within `scope`: every case, or one unit's (an area chief's
    communities and grid cells are not in its key)."""
    return scope.everything or (
        scope.unit_id is not None and not scope.communities and not scope.grid_cells
    )
