"""The console's case list: filters, scope, sort orders and keyset paging, and the counts.

Pages are found by the sort key of the last row seen (an opaque cursor), never by `OFFSET`, so
the thousandth page costs what the first does. Each sort order has an index that ends in the
case id (migration 0010), which breaks ties and keeps paging free of duplicates and gaps.

The total is counted exactly up to `EXACT_TOTAL_UP_TO` rows; beyond that it is the planner's
estimate and the page says so (`total_is_estimate`), since an exact count of a million rows
costs more than the page itself. The counts (`case_counts`) of open cases are exact: they
decide the console's header and the leader's overdue figures.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from urbanops.cases import tally
from urbanops.cases.models import DEADLINE_KEY, OPEN_PREDICATE, Case
from urbanops.cases.queries import CaseScope, case_scope, suspected_out_of_remit
from urbanops.cases.workflow import OPEN_STATUSES, CaseStatus
from urbanops.core.errors import InvalidInput
from urbanops.core.types import BIGINT_MAX
from urbanops.identity.roles import Actor

EXACT_TOTAL_UP_TO = 10_000
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
DUE_SOON = timedelta(hours=24)
# the deadline of a case without one, in the deadline sort order (the same as migration 0010's
# index expression): such cases come last in `deadline`, first in `-deadline`
NO_DEADLINE = datetime(2200, 1, 1, tzinfo=UTC)
NUMBER_LIKE = re.compile(r"^[0-9]{4,14}[A-Z]?[0-9]{0,7}$")


PARAM_LABELS = {
    "status": ("状态", "status"),
    "source": ("来源", "source"),
    "reported_from": ("上报时间起", "reported from"),
    "reported_to": ("上报时间止", "reported to"),
    "cursor": ("翻页标记", "cursor"),
    "bbox": ("地图范围", "map box"),
}


def param_error(field: str, code: str, zh: str, en: str, **extra: Any) -> InvalidInput:
    """A 422 for one query parameter, shaped like a validation error's (`errors[].field`)."""
    label, label_en = PARAM_LABELS.get(field, (field, field))
    entry = {
        "field": field,
        "label": label,
        "label_en": label_en,
        "type": code,
        "message": zh,
        "message_en": en,
    }
    return InvalidInput(zh, code=code, message_en=en, extra={**extra, "errors": [entry]})


@dataclass(frozen=True)
class CaseFilter:
    status: tuple[str, ...] = ()
    town_code: str | None = None
    unit_id: int | None = None
    matter_code: str | None = None
    source: str | None = None
    overdue: bool | None = None
    provisional: bool | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None  # exclusive
    q: str | None = None
    # 「疑似非城管事项」: the model suspected another channel and no clerk has taken it up yet
    suspected: bool | None = None


class Sort(StrEnum):
    reported_at = "reported_at"
    reported_at_desc = "-reported_at"
    deadline = "deadline"
    deadline_desc = "-deadline"
    number = "number"
    number_desc = "-number"
    status = "status"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def key(self) -> ColumnElement[Any]:
        name = self.value.lstrip("-")
        if name == "deadline":
            # the index's expression as SQL text (a parameter would not match the index)
            return literal_column(DEADLINE_KEY.replace("due_at", '"case".due_at'), DateTime(True))
        if name == "number":
            return Case.number.collate("C")
        return getattr(Case, name)  # type: ignore[no-any-return]


def in_scope(scope: CaseScope) -> ColumnElement[bool] | None:
    """The condition that keeps a query within `scope` (None: every case). Every read of
    several cases (list, counts, map, exports) goes through here."""
    return scope.condition()


def text_match(q: str) -> ColumnElement[bool]:
    """A case number (or its beginning), else every word in the description or the address."""
    q = q.strip()
    if NUMBER_LIKE.match(q):
        number = Case.number.collate("C")
        return and_(number >= q, number < q + "~")  # numbers hold digits and capitals only
    words = [w for w in q.split() if w][:8]
    return and_(
        *(
            or_(
                Case.description.icontains(w, autoescape=True),
                Case.address.icontains(w, autoescape=True),
            )
            for w in words
        )
    )


def implies_open(f: CaseFilter) -> bool:
    """Whether only open cases can match `f` without naming statuses: it asks for what only a
    running clock has (overdue, a provisional deadline) or for triage's suspects. Then the open
    cases' predicate is added, which lets the planner use their covering index."""
    return bool(f.overdue or f.provisional or f.suspected)


def status_in(statuses: tuple[str, ...]) -> ColumnElement[bool]:
    """`status IN (…)` with the statuses written into the SQL (each one checked against the
    lifecycle's), so that the planner sees when they are all open and the open cases' covering
    index applies, for a generic plan of a prepared statement too."""
    names = ", ".join(f"'{CaseStatus(s).value}'" for s in statuses)
    return text(f'"case".status IN ({names})')  # type: ignore[return-value]


def conditions(f: CaseFilter, scope: CaseScope) -> list[ColumnElement[bool]] | None:
    """The WHERE conditions of `f` within `scope`; None when the scope holds nothing."""
    if scope.nothing:
        return None
    out: list[ColumnElement[bool]] = []
    if (scoped := in_scope(scope)) is not None:
        out.append(scoped)
    if f.status:
        out.append(status_in(f.status))
    elif implies_open(f):
        out.append(open_cases())
    if f.town_code:
        out.append(Case.town_code == f.town_code)
    if f.unit_id is not None:
        out.append(Case.unit_id == f.unit_id)
    if f.matter_code:
        out.append(Case.matter_code == f.matter_code)
    if f.source:
        out.append(Case.source == f.source)
    if f.overdue is not None:
        out.append(Case.overdue.is_(f.overdue))
    if f.provisional is not None:
        out.append(Case.deadline_provisional.is_(f.provisional))
    if f.reported_from:
        out.append(Case.reported_at >= f.reported_from)
    if f.reported_to:
        out.append(Case.reported_at < f.reported_to)
    if f.q and f.q.strip():
        out.append(text_match(f.q))
    if f.suspected is not None:
        suspected = suspected_out_of_remit()
        out.append(suspected if f.suspected else not_(suspected))
    return out


def filtered(actor: Actor, f: CaseFilter) -> list[ColumnElement[bool]] | None:
    return conditions(f, case_scope(actor))


@dataclass(frozen=True)
class Cursor:
    sort: Sort
    value: str
    id: int
    page: int

    def encode(self) -> str:
        raw = json.dumps([self.sort.value, self.value, self.id, self.page], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: Sort) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            name, value, case_id, page = json.loads(raw)
            cursor = cls(Sort(name), str(value), int(case_id), int(page))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise _bad_cursor() from None
        if not (0 < cursor.id <= BIGINT_MAX and 0 < cursor.page < 10**9):
            raise _bad_cursor()
        if cursor.sort is not sort:
            raise param_error(
                "cursor",
                "cursor_sort_mismatch",
                "翻页标记属于另一种排序，请从第一页重新查询",
                f"the cursor belongs to sort {cursor.sort.value!r}, not {sort.value!r}",
            )
        return cursor

    def key_value(self) -> Any:
        if self.sort.value.lstrip("-") in ("reported_at", "deadline"):
            try:
                return datetime.fromisoformat(self.value)
            except ValueError:
                raise _bad_cursor() from None
        return self.value


def _bad_cursor() -> InvalidInput:
    return param_error(
        "cursor",
        "invalid_cursor",
        "翻页标记无效，请从第一页重新查询",
        "invalid cursor: start again from the first page",
    )


def _cursor_value(sort: Sort, case: Case) -> str:
    name = sort.value.lstrip("-")
    if name == "reported_at":
        return case.reported_at.isoformat()
    if name == "deadline":
        return (case.due_at or NO_DEADLINE).isoformat()
    return str(getattr(case, name))


@dataclass(frozen=True)
class Page:
    items: list[Case]
    total: int
    total_is_estimate: bool
    page: int
    next_cursor: str | None


def ordered(stmt: AnySelect, sort: Sort) -> AnySelect:
    key = sort.key
    if sort.descending:
        return stmt.order_by(key.desc(), Case.id.desc())
    return stmt.order_by(key.asc(), Case.id.asc())


def list_page(
    session: Session,
    actor: Actor,
    f: CaseFilter,
    *,
    sort: Sort = Sort.reported_at_desc,
    page_size: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of the cases `actor` may read that match `f`, after `cursor` if given."""
    after = Cursor.decode(cursor, sort) if cursor else None
    where = filtered(actor, f)
    if where is None:
        return Page([], 0, False, 1, None)
    stmt = ordered(select(Case).where(*where), sort)
    if after is not None:
        seen = tuple_(sort.key, Case.id)
        last = tuple_(literal(after.key_value(), type_=sort.key.type), literal(after.id))
        stmt = stmt.where(seen < last if sort.descending else seen > last)
    rows = list(session.scalars(stmt.limit(page_size + 1)))
    page = after.page + 1 if after else 1
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = Cursor(sort, _cursor_value(sort, rows[-1]), rows[-1].id, page).encode()
    total, estimate = count_cases(session, where)
    return Page(rows, total, estimate, page, next_cursor)


def count_cases(session: Session, where: list[ColumnElement[bool]]) -> tuple[int, bool]:
    """(total, is_estimate): exact up to EXACT_TOTAL_UP_TO, else the planner's estimate."""
    capped = select(literal(1)).select_from(Case).where(*where).limit(EXACT_TOTAL_UP_TO + 1)
    exact = session.scalar(select(func.count()).select_from(capped.subquery())) or 0
    if exact <= EXACT_TOTAL_UP_TO:
        return exact, False
    probe = select(literal(1)).select_from(Case).where(*where)
    compiled = probe.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params
    )
    estimate = int(plan.scalar_one()[0]["Plan"]["Plan Rows"])
    return max(estimate, EXACT_TOTAL_UP_TO + 1), True


def open_cases() -> ColumnElement[bool]:
    """The open cases, written as the covering index's own predicate so that the planner sees
    the index applies (a list of parameters would not show it)."""
    return text(f'"case".{OPEN_PREDICATE}')  # type: ignore[return-value]


@dataclass(frozen=True)
class Counts:
    total: int
    total_is_estimate: bool
    by_status: dict[str, int]
    estimated_statuses: list[str]
    by_town: dict[str, int]
    overdue_by_town: dict[str, int]
    overdue: int
    due_soon: int


# the filters the case tally can count by: with no other, the counts come from the tally
TALLIED_FIELDS: dict[str, Any] = {"status": (), "town_code": None, "unit_id": None, "overdue": None}


def case_counts(session: Session, actor: Actor, f: CaseFilter, *, now: datetime) -> Counts:
    """Counts of the cases matching `f` in `actor`'s scope.

    Exact where they steer work: every open status, the open cases by town, overdue (also by
    town) and due within 24 h (not yet overdue), in one pass over the open cases' covering
    index. The finished ones (closed, void, merged, referred: nine in ten of a city's cases)
    are counted exactly up to EXACT_TOTAL_UP_TO each and estimated above, and named in
    `estimated_statuses`; overdue and deadlines do not apply to them.

    Filtered by nothing but statuses, town, unit and overdue, within every case or one unit's,
    everything is counted exactly from the case tally instead (`cases.tally`), and only the
    cases due within 24 h are read, from their own index."""
    scope = case_scope(actor)
    wanted = set(f.status) if f.status else {str(s) for s in CaseStatus}
    live = tuple(sorted(wanted & {str(s) for s in OPEN_STATUSES}))
    if not scope.nothing and tally.serves(scope) and replace(f, **TALLIED_FIELDS) == CaseFilter():
        return _tallied_counts(session, scope, f, tuple(sorted(wanted)), live, now=now)
    by_status: dict[str, int] = {}
    by_town: dict[str, int] = {}
    late_by_town: dict[str, int] = {}
    overdue = due_soon = 0
    estimated: list[str] = []
    if scope.nothing:
        return Counts(0, False, {}, [], {}, {}, 0, 0)
    if live:
        where = conditions(replace(f, status=live), scope) or []
        soon = and_(Case.due_at >= now, Case.due_at < now + DUE_SOON, Case.overdue.is_(False))
        rows = session.execute(
            select(
                Case.status,
                Case.town_code,
                func.count(),
                func.count().filter(Case.overdue.is_(True)),
                func.count().filter(soon),
            )
            .where(*where)
            .group_by(Case.status, Case.town_code)
        ).all()
        for status, town, n, late, near in rows:
            by_status[status] = by_status.get(status, 0) + n
            if town is not None:
                by_town[town] = by_town.get(town, 0) + n
                if late:
                    late_by_town[town] = late_by_town.get(town, 0) + late
            overdue += late
            due_soon += near
    for status in sorted(wanted - set(live)):
        n, guess = count_cases(session, conditions(replace(f, status=(status,)), scope) or [])
        if n:
            by_status[status] = n
        if guess:
            estimated.append(status)
    total = sum(by_status.values())
    return Counts(
        total, bool(estimated), by_status, estimated, by_town, late_by_town, overdue, due_soon
    )


def _tallied_counts(
    session: Session,
    scope: CaseScope,
    f: CaseFilter,
    wanted: tuple[str, ...],
    live: tuple[str, ...],
    *,
    now: datetime,
) -> Counts:
    """`case_counts` from the case tally (the filter and scope are ones it serves)."""
    unit_id = f.unit_id if f.unit_id is not None else scope.unit_id
    if scope.unit_id is not None and unit_id != scope.unit_id:
        return Counts(0, False, {}, [], {}, {}, 0, 0)  # another unit than the caller's
    by_status: dict[str, int] = {}
    by_town: dict[str, int] = {}
    late_by_town: dict[str, int] = {}
    overdue = 0
    rows = tally.tallied(session, wanted, town_code=f.town_code, unit_id=unit_id, overdue=f.overdue)
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + row.n
        if row.status not in live:
            continue
        if row.town_code is not None:
            by_town[row.town_code] = by_town.get(row.town_code, 0) + row.n
            if row.overdue:
                late_by_town[row.town_code] = late_by_town.get(row.town_code, 0) + row.n
        if row.overdue:
            overdue += row.n
    due_soon = 0
    if live and f.overdue is not True:
        where = conditions(replace(f, status=live), scope) or []
        soon = and_(Case.due_at >= now, Case.due_at < now + DUE_SOON, Case.overdue.is_(False))
        due_soon = session.scalar(select(func.count()).select_from(Case).where(*where, soon)) or 0
    by_status = {s: n for s, n in sorted(by_status.items()) if n}
    late_by_town = {t: n for t, n in late_by_town.items() if n}
    return Counts(
        sum(by_status.values()), False, by_status, [], by_town, late_by_town, overdue, due_soon
    )
