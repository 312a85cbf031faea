"""The console's counts equal plain `COUNT`s over the case table, for random filters and scopes,
after cases are loaded, changed and deleted, before and after the case tally is folded.

Everything runs in one repeatable-read transaction that is rolled back: the counts and the plain
`COUNT`s see the same snapshot, whatever other tests commit meanwhile, and every case in the
database takes part (other tests' committed cases included), never numbers written down here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest
from bench.console_data import COLUMNS, _rows, reference
from sqlalchemy import ColumnElement, Engine, and_, func, select, text, true
from sqlalchemy.orm import Session

from urbanops.cases import casemap, listing, tally
from urbanops.cases.listing import CaseFilter
from urbanops.cases.models import Case, CaseTally
from urbanops.cases.queries import case_scope
from urbanops.cases.workflow import OPEN_STATUSES, CaseStatus
from urbanops.identity.roles import Actor, ActorKind, Role

STATUSES = [str(s) for s in CaseStatus]
OPEN = [str(s) for s in OPEN_STATUSES]
CASES = 3000


@pytest.fixture
def snapshot(engine: Engine) -> Iterator[Session]:
    """A session in one repeatable-read transaction, rolled back at the end."""
    connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


def load(session: Session, n: int, now: datetime, seed: int) -> None:
    """`n` synthetic cases (the console benchmark's) by `COPY`, in the session's transaction."""
    connection = session.connection()
    data = _rows(reference(connection.engine), 9_000_000 + seed * 10_000, n, now, seed=seed)
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "case" ({COLUMNS}) FROM STDIN') as copy:
        copy.write(data)


def shuffle(session: Session, rng: random.Random, now: datetime) -> None:
    """Change a random sample of the synthetic cases the way the workflow does (status, unit,
    overdue, deadline, community), several in one statement, and delete a few."""
    ids = list(session.scalars(text("SELECT id FROM \"case\" WHERE substr(number, 9, 1) = 'B'")))
    units = list(session.scalars(text("SELECT id FROM unit WHERE is_active ORDER BY id")))
    communities = list(session.scalars(text("SELECT code FROM community ORDER BY code LIMIT 40")))
    for _ in range(6):
        some = rng.sample(ids, 200)
        session.execute(
            text(
                'UPDATE "case" SET status = :status, unit_id = :unit, overdue = NOT overdue,'
                " due_at = :due, community_code = :community WHERE id = ANY(:ids)"
            ),
            {
                "status": rng.choice(STATUSES),
                "unit": rng.choice(units),
                "due": now + timedelta(hours=rng.uniform(-30, 30)),
                "community": rng.choice(communities),
                "ids": some,
            },
        )
    for case_id in rng.sample(ids, 20):  # one statement per case, as the apply step writes
        session.execute(
            text('UPDATE "case" SET status = :s, town_code = NULL WHERE id = :id'),
            {"s": rng.choice(OPEN), "id": case_id},
        )
    gone = rng.sample(ids, 50)
    session.execute(text('DELETE FROM "case" WHERE id = ANY(:ids)'), {"ids": gone})


def plain(session: Session, scope: ColumnElement[bool], f: CaseFilter, now: datetime) -> Any:
    """What the counts must say, counted row by row."""
    where: list[ColumnElement[bool]] = [scope]
    if f.status:
        where.append(Case.status.in_(f.status))
    if f.town_code:
        where.append(Case.town_code == f.town_code)
    if f.unit_id is not None:
        where.append(Case.unit_id == f.unit_id)
    if f.matter_code:
        where.append(Case.matter_code == f.matter_code)
    if f.overdue is not None:
        where.append(Case.overdue.is_(f.overdue))
    live = [*where, Case.status.in_(OPEN)]

    def grouped(column: Any, *extra: ColumnElement[bool]) -> dict[str, int]:
        rows = session.execute(
            select(column, func.count()).where(*extra).group_by(column).having(column.is_not(None))
        )
        return {k: int(n) for k, n in rows}

    def count(*extra: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count()).select_from(Case).where(*extra)) or 0)

    soon = and_(Case.due_at >= now, Case.due_at < now + timedelta(hours=24), ~Case.overdue)
    by_status = grouped(Case.status, *where)
    return listing.Counts(
        total=sum(by_status.values()),
        total_is_estimate=False,
        by_status=by_status,
        estimated_statuses=[],
        by_town=grouped(Case.town_code, *live),
        overdue_by_town=grouped(Case.town_code, *live, Case.overdue.is_(True)),
        overdue=count(*live, Case.overdue.is_(True)),
        due_soon=count(*live, soon),
    )


def staff(roles: set[Role], unit_id: int | None = None, communities: Any = ()) -> Actor:
    return Actor(
        kind=ActorKind.staff,
        id=1,
        roles=frozenset(roles),
        unit_id=unit_id,
        communities=frozenset(communities),
    )


def random_filter(rng: random.Random, towns: list[str], units: list[int]) -> CaseFilter:
    return CaseFilter(
        status=tuple(rng.sample(STATUSES, rng.choice([0, 0, 1, 2, 5, 9]))),
        town_code=rng.choice([None, None, *towns[:5]]),
        unit_id=rng.choice([None, None, None, *units[:5]]),
        overdue=rng.choice([None, None, True, False]),
    )


def check(session: Session, rng: random.Random, now: datetime, rounds: int) -> set[str]:
    """Compare the counts with plain COUNTs for `rounds` random filters in every kind of
    scope; the ways they were counted (tally or cases)."""
    towns = list(session.scalars(text('SELECT DISTINCT town_code FROM "case" ORDER BY 1')))
    towns = [t for t in towns if t]
    units = list(
        session.scalars(
            text('SELECT unit_id FROM "case" WHERE unit_id IS NOT NULL GROUP BY 1 ORDER BY 1')
        )
    )
    communities = list(
        session.scalars(
            text('SELECT DISTINCT community_code FROM "case" WHERE community_code IS NOT NULL')
        )
    )
    rng.shuffle(towns)
    rng.shuffle(units)
    ways: set[str] = set()
    for i in range(rounds):
        f = random_filter(rng, towns, units)
        unit = rng.choice(units)
        callers: list[tuple[Actor, ColumnElement[bool]]] = [
            (staff({Role.dispatcher}), true()),
            (staff({Role.handler}, unit), Case.unit_id == unit),
        ]
        if communities:  # an area chief's patch: counted from the cases
            patch = rng.sample(sorted(communities), min(3, len(communities)))
            callers.append((staff({Role.area_chief}, unit, patch), Case.community_code.in_(patch)))
        if i % 3 == 2:  # a filter the tally has no key for: counted from the cases
            f = replace(f, matter_code=rng.choice(["06042", "06010", "01001"]))
        for actor, scope in callers:
            got = listing.case_counts(session, actor, f, now=now)
            want = plain(session, scope, f, now)
            assert got == want, (f, actor)
            served = tally.serves(case_scope(actor)) and not f.matter_code
            ways.add("tally" if served else "cases")
    return ways


def test_counts_equal_plain_counts_for_random_filters_and_scopes(snapshot: Session) -> None:
    rng = random.Random(20261203)
    now = datetime.now(UTC)
    load(snapshot, CASES, now, seed=1)
    assert check(snapshot, rng, now, 12) == {"tally", "cases"}
    shuffle(snapshot, rng, now)
    load(snapshot, CASES // 3, now, seed=2)  # a second statement: rows of changes pile up
    before = snapshot.scalar(select(func.count()).select_from(CaseTally))
    check(snapshot, rng, now, 12)
    assert tally.fold(snapshot)
    keys = snapshot.scalar(
        text("SELECT count(DISTINCT (status, town_code, unit_id, overdue)) FROM case_tally")
    )
    assert snapshot.scalar(select(func.count()).select_from(CaseTally)) == keys < (before or 0)
    assert check(snapshot, rng, now, 12) == {"tally", "cases"}


def test_the_tally_holds_every_key_of_the_case_table(snapshot: Session) -> None:
    """Folded or not, the tally's sum per key is the case table's count per key."""
    now = datetime.now(UTC)
    load(snapshot, 500, now, seed=3)
    shuffle(snapshot, random.Random(7), now)

    def rows(sql: str) -> set[tuple[Any, ...]]:
        return {tuple(r) for r in snapshot.execute(text(sql))}

    per_key = (
        "SELECT status, town_code, unit_id, overdue, {n} FROM {table}"
        " GROUP BY status, town_code, unit_id, overdue HAVING {n} <> 0"
    )
    cases = rows(per_key.format(n="count(*)", table='"case"'))
    tallied = rows(per_key.format(n="sum(n)", table="case_tally"))
    assert cases == tallied and cases
    assert tally.fold(snapshot)
    folded = rows(per_key.format(n="sum(n)", table="case_tally"))
    assert folded == cases
    kept = set(snapshot.scalars(select(CaseTally.id)))
    assert tally.fold(snapshot)  # one row per key already: none is written again
    assert set(snapshot.scalars(select(CaseTally.id))) == kept


def plain_map(
    session: Session, scope: ColumnElement[bool], f: CaseFilter, resolution: int, box: Any
) -> dict[str, tuple[int, int, float, float]]:
    """The map's clusters counted case by case: (cases, overdue, mean lat, mean lon) by parent."""
    where = [scope, Case.status.in_(f.status or OPEN)]
    if f.town_code:
        where.append(Case.town_code == f.town_code)
    if f.unit_id is not None:
        where.append(Case.unit_id == f.unit_id)
    if f.overdue is not None:
        where.append(Case.overdue.is_(f.overdue))
    if box is not None:
        where += [Case.lon.between(box.west, box.east), Case.lat.between(box.south, box.north)]
    groups: dict[str, list[Any]] = {}
    for cell, lat, lon, late in session.execute(
        select(Case.h3_cell, Case.lat, Case.lon, Case.overdue).where(*where)
    ):
        g = groups.setdefault(h3.cell_to_parent(cell, resolution), [0, 0, 0.0, 0.0])
        g[0] += 1
        g[1] += bool(late)
        g[2] += lat
        g[3] += lon
    return {c: (n, late, lat / n, lon / n) for c, (n, late, lat, lon) in groups.items()}


# the whole city (as the page asks at first), part of it, a few streets
BOXES = [
    casemap.BBox(113.45, 22.60, 114.30, 23.20),
    casemap.BBox(113.6, 22.8, 113.9, 23.1),
    casemap.BBox(113.74, 23.00, 113.78, 23.03),
]


def check_map(session: Session, rng: random.Random, rounds: int) -> set[str]:
    """Compare the map's clusters with ones counted case by case, for random filters, zooms,
    boxes and scopes; the ways they were counted (tally or cases)."""
    towns = [t for t in session.scalars(text('SELECT DISTINCT town_code FROM "case"')) if t]
    units = list(
        session.scalars(text('SELECT unit_id FROM "case" WHERE unit_id IS NOT NULL GROUP BY 1'))
    )
    ways: set[str] = set()
    for i in range(rounds):
        f = CaseFilter(
            status=rng.choice([(), (), tuple(OPEN), ("dispatched", "parked")]),
            town_code=rng.choice([None, None, *sorted(towns)[:6]]),
            unit_id=rng.choice([None, None, None, None, *sorted(units)[:6]]),
            overdue=rng.choice([None, None, True, False]),
        )
        zoom = rng.choice([6, 9, 10, 11, 12, 13, 14])
        box = casemap.BBox(113.6, 22.8, 113.9, 23.1) if i % 4 == 3 else None
        if i % 3 == 0:  # one the map tally answers (for a caller who reads every case)
            f = replace(f, status=rng.choice([(), tuple(OPEN)]), unit_id=None)
            zoom = rng.choice([6, 9, 10, 11, 12])
            box = rng.choice([None, *BOXES])
        unit = rng.choice(units)
        for actor, scope in (
            (staff({Role.leader}), true()),
            (staff({Role.handler}, unit), Case.unit_id == unit),
        ):
            got = casemap.case_map(session, actor, f, zoom=zoom, bbox=box)
            resolution = casemap.resolution_for(zoom)
            assert got.resolution == resolution is not None
            want = plain_map(session, scope, f, resolution, box)
            assert {c["h3"]: (c["count"], c["overdue"]) for c in got.cells} == {
                c: (n, late) for c, (n, late, _, _) in want.items()
            }, (f, zoom, box, actor)
            for c in got.cells:
                assert (c["lat"], c["lon"]) == pytest.approx(want[c["h3"]][2:], abs=1e-9)
            tallied = (
                resolution <= tally.MAP_RESOLUTION
                and (not f.status or set(f.status) == set(OPEN))
                and f.unit_id is None
                and Role.leader in actor.roles
            )
            ways.add("tally" if tallied else "cases")
    return ways


def test_the_map_equals_clusters_counted_case_by_case(snapshot: Session) -> None:
    rng = random.Random(3)
    now = datetime.now(UTC)
    load(snapshot, CASES, now, seed=4)
    assert check_map(snapshot, rng, 10) == {"tally", "cases"}
    shuffle(snapshot, rng, now)
    moved = snapshot.scalar(text("SELECT h3_cell FROM \"case\" WHERE number LIKE '%B%' LIMIT 1"))
    snapshot.execute(  # cases move: their cells and position sums change with them
        text(
            'UPDATE "case" SET lat = lat + 0.01, lon = lon - 0.01, h3_cell = :cell'
            " WHERE substr(number, 9, 1) = 'B' AND id % 7 = 0"
        ),
        {"cell": moved},
    )
    check_map(snapshot, rng, 10)
    assert tally.fold(snapshot)
    assert check_map(snapshot, rng, 10) == {"tally", "cases"}


def test_writers_wait_neither_for_each_other_nor_for_a_fold(engine: Engine) -> None:
    """Two transactions add cases of the same keys and one folds the tallies while the other is
    still open: nothing waits (a lock timeout would fail the test), and once both commit the
    tally's sum per key is the case table's count again."""
    now = datetime.now(UTC)
    first, second = engine.connect(), engine.connect()
    a = Session(bind=first, join_transaction_mode="create_savepoint")
    b = Session(bind=second, join_transaction_mode="create_savepoint")
    try:
        for s in (a, b):
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
        load(a, 40, now, seed=7)
        load(b, 40, now, seed=7 + 1)
        assert tally.fold(b)  # the rows `a` added are not in its snapshot: left for later
        b.commit()
        a.commit()
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as c:
            per_key = (
                "SELECT status, town_code, unit_id, overdue, {n} FROM {table}"
                " GROUP BY status, town_code, unit_id, overdue HAVING {n} <> 0"
            )
            cases = {
                tuple(r) for r in c.execute(text(per_key.format(n="count(*)", table='"case"')))
            }
            tallied = {
                tuple(r) for r in c.execute(text(per_key.format(n="sum(n)", table="case_tally")))
            }
            assert cases == tallied
    finally:
        a.close()
        b.close()
        first.close()
        second.close()
        with engine.begin() as c:  # synthetic cases have no timeline: they may be deleted
            c.execute(
                text("DELETE FROM \"case\" WHERE number LIKE '%B907%' OR number LIKE '%B908%'")
            )
