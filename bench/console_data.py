"""Synthetic cases for the console benchmark, loaded with `COPY` into the configured database.

Each case lies at a random point inside a real town (weighted by area), is handled by that
town's branch (about 70 %) or one of the departments, and carries one of the catalogue's
matters. Older cases are mostly closed; the last weeks hold the open ones, with deadlines
around now, so that some are overdue and some due within a day. Synthetic case numbers carry a
`B` after the date (`20260301B0000001`), which real numbers never do: a second run counts them
and adds only the missing ones. The synthetic cases have no timeline rows and no reports: the
list, the map and the counts read the case table alone.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from urbanops.cases import tally
from urbanops.cases.workflow import CaseStatus, stage_for
from urbanops.core.geo import load_town_shapes
from urbanops.core.settings import get_settings

S = CaseStatus
MARK = "B"  # the ninth character of a synthetic case number
CHUNK = 100_000
# status mix of a city's case book: most cases closed, a tenth still open
OPEN_MIX = {
    S.reported: 0.04,
    S.accepted: 0.02,
    S.registered: 0.02,
    S.dispatched: 0.34,
    S.in_progress: 0.30,
    S.returned: 0.03,
    S.parked: 0.05,
    S.awaiting_verification: 0.16,
    S.reopened: 0.04,
}
CLOSED_MIX = {S.closed: 0.90, S.void: 0.04, S.merged: 0.04, S.referred: 0.02}
OPEN_SHARE = 0.10
SOURCES = ("citizen", "citizen", "citizen", "inspector", "hotline", "camera", "open311")
WORDS = (
    "井盖破损",
    "占道经营",
    "垃圾满溢",
    "乱张贴",
    "路灯不亮",
    "违规停车",
    "绿化损坏",
    "噪音扰民",
)
COLUMNS = (
    "number, status, source, matter_code, description, address, lat, lon, h3_cell, town_code,"
    " unit_id, reported_at, dispatched_at, closed_at, updated_at, stage, stage_started_at,"
    " due_at, deadline_unknown, deadline_provisional, overdue, escalation_level, supporters"
)


@dataclass(frozen=True)
class Reference:
    towns: list[str]
    town_names: dict[str, str]
    branch_of: dict[str, int]  # town code → its branch's unit id
    departments: list[int]
    matters: list[str]


def reference(engine: Engine) -> Reference:
    with engine.connect() as conn:
        towns: dict[str, str] = dict(
            conn.execute(text("SELECT code, name FROM town")).tuples().all()
        )
        units = conn.execute(text("SELECT id, kind, town_code FROM unit WHERE is_active")).all()
        matters = list(conn.scalars(text("SELECT code FROM matter WHERE is_active ORDER BY code")))
    branch_of = {t: i for i, kind, t in units if kind == "town_branch" and t}
    departments = [i for i, kind, _ in units if kind == "department"]
    return Reference(sorted(towns), towns, branch_of, departments, matters)


def synthetic_count(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT count(*) FROM \"case\" WHERE substr(number, 9, 1) = 'B'"))
    return int(found or 0)


def _points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` points (lat, lon, town index), each inside its town, towns weighted by area."""
    shapes = load_town_shapes()
    areas = np.array([s.geometry.area for s in shapes])
    counts = rng.multinomial(n, areas / areas.sum())
    lats, lons, towns = [], [], []
    for i, (shape, k) in enumerate(zip(shapes, counts, strict=True)):
        minx, miny, maxx, maxy = shape.geometry.bounds
        got = 0
        while got < k:
            x = rng.uniform(minx, maxx, 3 * (k - got) + 16)
            y = rng.uniform(miny, maxy, 3 * (k - got) + 16)
            inside = shapely.contains_xy(shape.geometry, x, y)
            x, y = x[inside][: k - got], y[inside][: k - got]
            lats.append(y)
            lons.append(x)
            towns.append(np.full(len(x), i))
            got += len(x)
    order = rng.permutation(n)
    codes = np.array([s.code for s in shapes])
    return (
        np.concatenate(lats)[order],
        np.concatenate(lons)[order],
        codes[np.concatenate(towns)[order]],
    )


def _iso(t: datetime | None) -> str:
    return t.isoformat() if t else "\\N"


def _rows(ref: Reference, start: int, n: int, now: datetime, seed: int) -> str:
    """Tab-separated COPY text of `n` cases numbered from `start`."""
    rng = np.random.default_rng(seed)
    lat, lon, town = _points(rng, n)
    res = get_settings().geo.h3_resolution
    open_ = rng.random(n) < OPEN_SHARE
    open_status = rng.choice(list(OPEN_MIX), n, p=list(OPEN_MIX.values()))
    closed_status = rng.choice(list(CLOSED_MIX), n, p=list(CLOSED_MIX.values()))
    # open cases from the last 30 days, the others from the two years before
    age_days = np.where(open_, rng.exponential(6, n).clip(0, 30), rng.uniform(1, 730, n))
    matter = rng.choice(ref.matters, n)
    department = rng.random(n) < 0.3
    dept_pick = rng.choice(ref.departments or [0], n)
    words = rng.integers(len(WORDS), size=n)
    sources = rng.integers(len(SOURCES), size=n)
    house = rng.integers(1, 300, size=n)
    supporters = rng.poisson(0.3, n)
    spans = rng.uniform(size=(n, 4))
    out = io.StringIO()
    for i in range(n):
        status = CaseStatus(open_status[i] if open_[i] else closed_status[i])
        reported = now - timedelta(days=float(age_days[i]))
        unit: int | None = (
            int(dept_pick[i])
            if department[i] and ref.departments
            else ref.branch_of.get(str(town[i]))
        )
        early = status in (S.reported, S.accepted, S.registered, S.referred, S.void, S.merged)
        dispatched = None if early else reported + timedelta(minutes=1 + 59 * float(spans[i, 0]))
        closed = (
            reported + timedelta(days=1 + 9 * float(spans[i, 1])) if status is S.closed else None
        )
        if closed and closed > now:
            closed = now
        stage = stage_for(status)
        started = dispatched or reported
        due = started + timedelta(days=1 + 9 * float(spans[i, 2])) if stage else None
        overdue = bool(due is not None and due < now)
        provisional = bool(due is not None and spans[i, 3] < 0.02)
        number = (reported + timedelta(hours=8)).strftime("%Y%m%d") + MARK + f"{start + i:07d}"
        name = ref.town_names[str(town[i])]
        row = (
            number,
            str(status),
            SOURCES[sources[i]],
            str(matter[i]),
            f"{name}{WORDS[words[i]]}，请尽快处理（压测数据 {start + i}）",
            f"东莞市{name}第{house[i]}号附近",
            f"{lat[i]:.6f}",
            f"{lon[i]:.6f}",
            h3.latlng_to_cell(float(lat[i]), float(lon[i]), res),
            str(town[i]),
            str(unit) if unit is not None and not early else "\\N",
            _iso(reported),
            _iso(dispatched),
            _iso(closed),
            _iso(closed or dispatched or reported),
            str(stage) if stage else "\\N",
            _iso(started if stage else None),
            _iso(due),
            "f",
            "t" if provisional else "f",
            "t" if overdue else "f",
            "2" if overdue else "0",
            str(supporters[i]),
        )
        out.write("\t".join(row) + "\n")
    return out.getvalue()


def top_up(engine: Engine, wanted: int, progress: Callable[[str], None]) -> int:
    """Add synthetic cases until there are `wanted`; the number added."""
    have = synthetic_count(engine)
    if have >= wanted:
        progress(f"{have} synthetic cases already loaded")
        return 0
    ref = reference(engine)
    now = datetime.now(UTC)
    added = 0
    while have + added < wanted:
        n = min(CHUNK, wanted - have - added)
        data = _rows(ref, have + added + 1, n, now, seed=have + added)
        raw = engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,  # type: ignore[attr-defined]
                cur.copy(f'COPY "case" ({COLUMNS}) FROM STDIN') as copy,
            ):
                copy.write(data)
            raw.commit()
        finally:
            raw.close()
        added += n
        progress(f"loaded {have + added}/{wanted} synthetic cases")
    with Session(engine) as session, session.begin():  # the worker does it every minute
        progress("fold the case tallies")
        tally.fold(session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        progress("VACUUM ANALYZE case")
        conn.execute(text('VACUUM ANALYZE "case"'))
    return added
