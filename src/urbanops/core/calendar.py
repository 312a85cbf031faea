"""Chinese working-day calendar for deadlines (工作日 / 工作时).

Working days come from an admin-edited override table first, then from the ``chinesecalendar``
package. A year that neither covers is either *provisional* (the year after the last published
one: counted on weekdays alone, Mon–Fri, no holidays, and the result says so) or unknown: a date
in an unknown year raises :class:`ScheduleUnknown`, so deadlines are flagged, never guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from urbanops.core.errors import InvalidInput, ScheduleUnknown

__all__ = [
    "BUILTIN_YEARS",
    "DATA_DIR",
    "Due",
    "TimeUnit",
    "WorkdayCount",
    "WorkingCalendar",
    "WorkingHours",
    "holiday_cn_path",
    "load_holiday_cn",
    "next_unpublished_year",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "calendar"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _builtin_years() -> range:
    known = chinese_calendar.constants.holidays
    return range(min(known).year, max(known).year + 1)


BUILTIN_YEARS: range = _builtin_years()
"""The years whose schedule the installed ``chinesecalendar`` package knows."""


def next_unpublished_year(published_years: Iterable[int] = ()) -> int:
    """The year after the last published one (built into ``chinesecalendar`` or published)."""
    return max({BUILTIN_YEARS[-1], *published_years}) + 1


class TimeUnit(StrEnum):
    natural_hours = "natural_hours"
    working_hours = "working_hours"
    working_days = "working_days"


@dataclass(frozen=True)
class WorkingHours:
    """Working periods of a working day, as (start, end) local wall-clock times."""

    periods: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0)))

    def __post_init__(self) -> None:
        if not self.periods:
            raise InvalidInput(
                "工作时段不能为空", message_en="working hours need at least one period"
            )
        previous_end: time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise InvalidInput(
                    "工作时段应为本地时间，不带时区",
                    message_en="working periods must be naive times",
                )
            if not start < end or (previous_end is not None and start < previous_end):
                raise InvalidInput(
                    "工作时段必须按时间先后排列且互不重叠",
                    message_en="working periods must be ordered and must not overlap",
                )
            previous_end = end

    @property
    def close(self) -> time:
        """End of the last working period of the day (close of business)."""
        return self.periods[-1][1]


def holiday_cn_path(year: int) -> Path:
    """Path of the bundled NateScarlet/holiday-cn JSON file for ``year``."""
    return DATA_DIR / f"holiday-cn-{year}.json"


def load_holiday_cn(path: str | Path) -> dict[date, bool]:
    """Read a holiday-cn JSON file into ``{date: is_workday}`` (make-up days map to True)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {date.fromisoformat(day["date"]): not bool(day["isOffDay"]) for day in data["days"]}


@dataclass(frozen=True)
class Due:
    """A deadline, and whether it was counted through a provisional year (weekdays alone)."""

    at: datetime
    provisional: bool = False


@dataclass(frozen=True)
class WorkdayCount:
    """The result of counting working days, and whether a provisional year was counted."""

    day: date
    provisional: bool = False


class _Trace:
    """Per-computation record of whether a provisional year was consulted."""

    __slots__ = ("provisional",)

    def __init__(self) -> None:
        self.provisional = False


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


class WorkingCalendar:
    """Working days and working hours in one time zone (Asia/Shanghai by default).

    ``published_years`` are years whose schedule an admin published (their days off and make-up
    days are in ``overrides``; other days follow the weekdays). ``provisional_years`` are
    unpublished years counted on weekdays alone; results that consulted one say so
    (:meth:`due`, :meth:`count_workdays`). Any other year the package does not know raises
    :class:`ScheduleUnknown`. Immutable, and pure: no database, no clock.
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] = MappingProxyType({}),
        published_years: Iterable[int] = (),
        working_hours: WorkingHours = WorkingHours(),
        tz: ZoneInfo = SHANGHAI,
        provisional_years: Iterable[int] = (),
    ) -> None:
        self.overrides: Mapping[date, bool] = MappingProxyType(dict(overrides))
        self.published_years: frozenset[int] = frozenset(published_years)
        known = self.published_years | frozenset(BUILTIN_YEARS)
        self.provisional_years: frozenset[int] = frozenset(provisional_years) - known
        self.working_hours = working_hours
        self.tz = tz
        self._days: dict[date, bool] = {}  # answers so far (the calendar never changes)

    def is_provisional(self, d: date) -> bool:
        """Whether ``d`` lies in a provisional year (counted on weekdays alone)."""
        return d.year in self.provisional_years

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; raises ScheduleUnknown for an unknown year."""
        return self._workday(d, None)

    def _workday(self, d: date, trace: _Trace | None) -> bool:
        if trace is not None and d.year in self.provisional_years:
            trace.provisional = True
        known = self._days.get(d)
        if known is None:  # every deadline of every report asks about the same few weeks
            known = self._days[d] = self._lookup(d)
        return known

    def _lookup(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            if d.year in self.published_years or d.year in self.provisional_years:
                return d.weekday() < 5
            raise ScheduleUnknown(
                f"{d.year} 年的节假日安排尚未发布，无法计算工作日时限",
                message_en=(
                    f"the {d.year} holiday schedule has not been published; "
                    "cannot compute a working-day deadline"
                ),
                extra={"year": d.year},
            ) from None

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day counted from the day after ``start`` (n=0 returns ``start``)."""
        return self.count_workdays(start, n).day

    def count_workdays(self, start: date, n: int) -> WorkdayCount:
        """:meth:`add_workdays`, saying whether a provisional year was counted."""
        trace = _Trace()
        day = self._add_workdays(start, n, trace)
        return WorkdayCount(day, trace.provisional)

    def _add_workdays(self, start: date, n: int, trace: _Trace | None) -> date:
        if n < 0:
            raise InvalidInput(
                "工作日数不能为负数", message_en="the number of working days must not be negative"
            )
        d = start
        while n > 0:
            d += timedelta(days=1)
            if self._workday(d, trace):
                n -= 1
        return d

    def _periods(self, d: date, trace: _Trace | None = None) -> list[tuple[datetime, datetime]]:
        """Working periods of local date ``d`` as aware datetimes (empty on a day off)."""
        if not self._workday(d, trace):
            return []
        return [
            (datetime.combine(d, s, tzinfo=self.tz), datetime.combine(d, e, tzinfo=self.tz))
            for s, e in self.working_hours.periods
        ]

    def _periods_from(self, d: date, trace: _Trace) -> Iterator[tuple[datetime, datetime]]:
        while True:
            yield from self._periods(d, trace)
            d += timedelta(days=1)

    def due_at(self, start: datetime, amount: float, unit: TimeUnit | str) -> datetime:
        """Deadline for a time limit of ``amount`` ``unit`` starting at ``start`` (aware)."""
        return self.due(start, amount, unit).at

    def due(self, start: datetime, amount: float, unit: TimeUnit | str) -> Due:
        """:meth:`due_at`, saying whether the count ran through a provisional year."""
        trace = _Trace()
        at = self._due_at(start, amount, unit, trace)
        return Due(at, trace.provisional)

    def _due_at(
        self, start: datetime, amount: float, unit: TimeUnit | str, trace: _Trace
    ) -> datetime:
        _require_aware(start, "start")
        unit = TimeUnit(unit)
        if not math.isfinite(amount) or amount < 0:
            raise InvalidInput(
                "时限必须是非负数", message_en="the time limit must be a non-negative number"
            )
        local = start.astimezone(self.tz)
        if unit is TimeUnit.natural_hours:
            return (start.astimezone(UTC) + timedelta(hours=amount)).astimezone(self.tz)
        if unit is TimeUnit.working_days:
            if amount != int(amount):
                raise InvalidInput(
                    "工作日时限必须是整数", message_en="a working-day limit must be a whole number"
                )
            last = self._add_workdays(local.date(), int(amount), trace)
            return datetime.combine(last, self.working_hours.close, tzinfo=self.tz)
        remaining = timedelta(hours=amount)
        for period_start, period_end in self._periods_from(local.date(), trace):
            if period_end <= local:
                continue
            begin = max(period_start, local)
            available = period_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time elapsed from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        if b < a:
            return -self.working_time_between(b, a)
        a_local, b_local = a.astimezone(self.tz), b.astimezone(self.tz)
        total = timedelta()
        d = a_local.date()
        while d <= b_local.date():
            for period_start, period_end in self._periods(d):
                overlap = min(period_end, b_local) - max(period_start, a_local)
                if overlap > timedelta():
                    total += overlap
            d += timedelta(days=1)
        return total
