"""The console's map of cases: h3 clusters when zoomed out, the cases themselves when zoomed in.

The map shows the open cases unless the filter names statuses: a map of the city's finished
cases (nine in ten) is not what a dispatcher looks at, and the open ones are read from their
covering index alone. Clusters are counted in the database: each case's h3 cell is stored as
a 64-bit integer too (`h3_int`, computed by PostgreSQL), which shifted right by three bits per
finer resolution groups the cases by parent cell without h3 in SQL; Python turns each group
back into the parent's id (groups of one cell, from cases stored at other resolutions, are
added up). The cluster's point is the mean of its cases' positions, so it lies where
the cases are. Points are capped at `POINT_LIMIT`, and the answer says when the cap was hit.

The clusters at resolution 7 or coarser (zoom 12 and out) for a caller who reads every case,
filtered by nothing but the open statuses, town and overdue, are added up from the map tally
instead (`cases.tally.map_cells`: open cases per res-7 cell with their position sums and an
envelope), a few thousand rows instead of every open case. A box takes the cells whose
envelope it holds whole and leaves out those it misses; only the cases of the cells it cuts
are read, from the open cases' own position index (`ix_case_open_point`), as are the
clusters of finer resolutions in a box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import h3
from sqlalchemy import ColumnElement, Integer, func, literal_column, or_, select
from sqlalchemy.orm import Session

from urbanops.cases import tally
from urbanops.cases.listing import CaseFilter, filtered, open_cases, param_error
from urbanops.cases.models import Case
from urbanops.cases.queries import case_scope
from urbanops.cases.workflow import OPEN_STATUSES
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput
from urbanops.identity.roles import Actor

OPEN_NAMES = {str(s) for s in OPEN_STATUSES}
POINT_LIMIT = 2000
POINTS_FROM_ZOOM = 15  # web-map zoom from which single cases are shown
# the h3 resolution of the clusters at each web-map zoom (coarser below, finest above)
RESOLUTION_BY_ZOOM = {9: 5, 10: 6, 11: 6, 12: 7, 13: 8, 14: 9}


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, value: str) -> BBox:
        """`w,s,e,n` in WGS-84 degrees; a 422 saying what is wrong otherwise."""
        parts = value.split(",")
        try:
            w, s, e, n = (float(p) for p in parts)
        except ValueError:
            raise _bad_bbox("需要四个数：西,南,东,北", "expected four numbers: w,s,e,n") from None
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise _bad_bbox(
                "范围无效：应满足 西<东、南<北，且在经纬度范围内",
                "out of range: need -180 <= w < e <= 180 and -90 <= s < n <= 90",
            )
        return cls(w, s, e, n)

    def holds(self, cell: tally.MapCell) -> bool:
        """Whether every case of `cell` lies in this box (its envelope does)."""
        return (
            self.west <= cell.west
            and cell.east <= self.east
            and self.south <= cell.south
            and cell.north <= self.north
        )

    def meets(self, cell: tally.MapCell) -> bool:
        """Whether some case of `cell` may lie in this box (its envelope touches it)."""
        return not (
            cell.east < self.west
            or cell.west > self.east
            or cell.north < self.south
            or cell.south > self.north
        )

    def within(self, cell: tally.MapCell) -> BBox:
        """The part of this box within `cell`'s envelope (which it meets)."""
        return BBox(
            max(self.west, cell.west),
            max(self.south, cell.south),
            min(self.east, cell.east),
            min(self.north, cell.north),
        )

    def condition(self) -> ColumnElement[bool]:
        point = func.point(Case.lon, Case.lat)
        box = func.box(func.point(self.west, self.south), func.point(self.east, self.north))
        return point.op("<@")(box)


def _bad_bbox(zh: str, en: str) -> InvalidInput:
    return param_error("bbox", "invalid_bbox", f"地图范围 bbox 无效：{zh}", f"invalid bbox: {en}")


def resolution_for(zoom: int) -> int | None:
    """The clusters' h3 resolution at `zoom`, None when single cases are shown."""
    if zoom >= POINTS_FROM_ZOOM:
        return None
    return RESOLUTION_BY_ZOOM.get(zoom, 5 if zoom < 9 else 9)


@dataclass(frozen=True)
class CaseMap:
    resolution: int | None
    cells: list[dict[str, Any]]
    points: list[dict[str, Any]]
    capped: bool


def parent(key: int, shift: int, resolution: int) -> str:
    """The h3 id at `resolution` of the cells whose ids, shifted right by `shift` bits, are
    `key`: the finer digits set to 7 (unused) and the resolution written in."""
    cell = (key << shift) | ((1 << shift) - 1)
    cell = (cell & ~(0xF << 52)) | (resolution << 52)
    return str(h3.int_to_str(cell))


def case_map(
    session: Session, actor: Actor, f: CaseFilter, *, zoom: int, bbox: BBox | None
) -> CaseMap:
    """The map of the cases matching `f` (open ones unless `f` names statuses) in the box."""
    resolution = resolution_for(zoom)
    where = filtered(actor, f)
    if where is None:
        return CaseMap(resolution, [], [], False)
    if not f.status:
        where.append(open_cases())
    if bbox is not None:
        where.append(bbox.condition())
    if resolution is None:
        return _points(session, where)
    if resolution <= tally.MAP_RESOLUTION and _whole_city(actor, f):
        return _tallied_map(session, f, resolution, bbox, where)
    shift = 3 * (15 - resolution)  # three bits per finer resolution's digit
    key = Case.h3_int.op(">>")(literal_column(str(shift), Integer))  # a constant: GROUP BY
    rows = session.execute(
        select(
            key,
            func.count(),
            func.count().filter(Case.overdue.is_(True)),
            func.sum(Case.lat),
            func.sum(Case.lon),
        )
        .where(*where)
        .group_by(key)
    ).all()
    cells = _cells((parent(int(k), shift, resolution), *sums) for k, *sums in rows)
    return CaseMap(resolution, cells, [], False)


def _cells(groups: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Clusters from (h3 id, cases, overdue ones, sum of latitudes, sum of longitudes), the
    groups of one id added up, the largest first; each at its cases' mean position."""
    cells: dict[str, list[float]] = {}
    for c, n, late, lat, lon in groups:
        cell = cells.setdefault(c, [0, 0, 0.0, 0.0])
        cell[0] += int(n)
        cell[1] += int(late)
        cell[2] += float(lat)
        cell[3] += float(lon)
    return [
        {"h3": c, "count": int(n), "overdue": int(late), "lat": lat / n, "lon": lon / n}
        for c, (n, late, lat, lon) in sorted(cells.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if n > 0
    ]


def _whole_city(actor: Actor, f: CaseFilter) -> bool:
    """Whether the map tally answers `f` for `actor`: a caller who reads every case, the open
    cases (all of them, named or not), in one town or all, overdue or not or both."""
    if not case_scope(actor).everything or (f.status and set(f.status) != OPEN_NAMES):
        return False
    return replace(f, status=(), town_code=None, overdue=None) == CaseFilter()


def _tallied_map(
    session: Session,
    f: CaseFilter,
    resolution: int,
    bbox: BBox | None,
    where: list[ColumnElement[bool]],
) -> CaseMap:
    """The clusters of the open cases from the map tally: its res-7 cells added up by their
    parents at `resolution`. With a box, a cell whose envelope lies in it counts whole, one
    whose envelope misses it not at all; the cases of the cells it cuts are read (`where`,
    with the box) from the open cases' position index, within the box and those envelopes."""
    up = 3 * (tally.MAP_RESOLUTION - resolution)
    shift = 3 * (15 - resolution)
    groups: list[tuple[Any, ...]] = []
    cut: list[tally.MapCell] = []
    for c in tally.map_cells(session, town_code=f.town_code, overdue=f.overdue):
        if bbox is None or bbox.holds(c):
            groups.append(
                (parent(c.key >> up, shift, resolution), c.n, c.overdue, c.lat_sum, c.lon_sum)
            )
        elif bbox is not None and bbox.meets(c):
            cut.append(c)
    if cut and bbox is not None:
        key = Case.h3_int.op(">>")(literal_column(str(shift), Integer))
        cell = Case.h3_int.op(">>")(literal_column(str(3 * (15 - tally.MAP_RESOLUTION)), Integer))
        parts = [bbox.within(c).condition() for c in cut]
        rows = session.execute(
            select(
                key,
                func.count(),
                func.count().filter(Case.overdue.is_(True)),
                func.sum(Case.lat),
                func.sum(Case.lon),
            )
            .where(*where, cell.in_([c.key for c in cut]), or_(*parts))
            .group_by(key)
        )
        groups += [(parent(int(k), shift, resolution), *sums) for k, *sums in rows]
    return CaseMap(resolution, _cells(groups), [], False)


def _points(session: Session, where: list[ColumnElement[bool]]) -> CaseMap:
    rows = session.execute(
        select(
            Case.id, Case.number, Case.lat, Case.lon, Case.status, Case.overdue, Case.matter_code
        )
        .where(*where)
        .order_by(Case.id.desc())
        .limit(POINT_LIMIT + 1)
    ).all()
    matters = catalogue.snapshot(session).matters
    points = [
        {
            "id": r.id,
            "number": r.number,
            "lat": r.lat,
            "lon": r.lon,
            "status": r.status,
            "overdue": r.overdue,
            "matter_name": matters[r.matter_code].name if r.matter_code in matters else None,
        }
        for r in rows[:POINT_LIMIT]
    ]
    return CaseMap(None, [], points, len(rows) > POINT_LIMIT)
