from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from urbanops.core.calendar import (
    BUILTIN_YEARS,
    DATA_DIR,
    Due,
    TimeUnit,
    WorkdayCount,
    WorkingCalendar,
    WorkingHours,
    holiday_cn_path,
    load_holiday_cn,
    next_unpublished_year,
)
from urbanops.core.errors import InvalidInput, ScheduleUnknown

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


HOLIDAY_CN = {
    **load_holiday_cn(holiday_cn_path(2025)),
    **load_holiday_cn(holiday_cn_path(2026)),
}


# --- two sources agree ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_bundled_holiday_cn_files_exist(year: int) -> None:
    path = DATA_DIR / f"holiday-cn-{year}.json"
    assert path.is_file()
    assert all(d.year == year for d in load_holiday_cn(path))


@pytest.mark.parametrize("d", _days(2025) + _days(2026), ids=str)
def test_chinesecalendar_agrees_with_holiday_cn(d: date) -> None:
    expected = HOLIDAY_CN.get(d, d.weekday() < 5)
    assert CAL.is_workday(d) is expected


# Official schedule (standards.md 3.2), a third cross-check on the data files.
OFF_2026 = [
    (date(2026, 1, 1), date(2026, 1, 3)),
    (date(2026, 2, 15), date(2026, 2, 23)),
    (date(2026, 4, 4), date(2026, 4, 6)),
    (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 6, 19), date(2026, 6, 21)),
    (date(2026, 9, 25), date(2026, 9, 27)),
    (date(2026, 10, 1), date(2026, 10, 7)),
]
MAKEUP_2026 = [date(2026, m, d) for m, d in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]]
MAKEUP_2025 = [date(2025, m, d) for m, d in [(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)]]


@pytest.mark.parametrize("d", MAKEUP_2025 + MAKEUP_2026, ids=str)
def test_make_up_days_are_workdays(d: date) -> None:
    assert d.weekday() >= 5
    assert CAL.is_workday(d)
    assert HOLIDAY_CN[d] is True


@pytest.mark.parametrize(("first", "last"), OFF_2026, ids=str)
def test_2026_holidays_are_off(first: date, last: date) -> None:
    d = first
    while d <= last:
        assert not CAL.is_workday(d), d
        assert HOLIDAY_CN.get(d, False) is False, d
        d += timedelta(days=1)


def test_spring_festival_2026_is_nine_days() -> None:
    off = [d for d in _days(2026) if date(2026, 2, 14) <= d <= date(2026, 2, 24)]
    assert [CAL.is_workday(d) for d in off] == [True] + [False] * 9 + [True]


# --- add_workdays --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 4, 30), 1, date(2026, 5, 6)),
        (date(2026, 4, 30), 3, date(2026, 5, 8)),
        (date(2026, 4, 30), 4, date(2026, 5, 9)),
        (date(2025, 9, 26), 2, date(2025, 9, 29)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # Sunday 补班
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_workdays_worked_examples(start: date, n: int, expected: date) -> None:
    assert CAL.add_workdays(start, n) == expected


def test_add_workdays_rejects_negative() -> None:
    with pytest.raises(InvalidInput):
        CAL.add_workdays(date(2026, 3, 2), -1)


def test_unpublished_year_raises() -> None:
    with pytest.raises(ScheduleUnknown) as info:
        CAL.add_workdays(date(2026, 12, 28), 10)
    assert "2027" in info.value.message
    assert info.value.code == "calendar_schedule_unknown"
    assert info.value.extra == {"year": 2027}
    with pytest.raises(ScheduleUnknown):
        CAL.is_workday(date(2027, 3, 1))


def test_published_year_with_overrides() -> None:
    overrides = {date(2027, 1, 1): False}
    cal = WorkingCalendar(overrides=overrides, published_years={2027})
    # 12-29, 12-30, 12-31 (Tue-Thu), 1-1 off by override, then Mon-Fri 1-4 .. 1-8, 1-11, 1-12.
    assert cal.add_workdays(date(2026, 12, 28), 10) == date(2027, 1, 12)
    assert cal.is_workday(date(2027, 1, 9)) is False  # Saturday, weekday fallback


def test_published_years_without_override_falls_back_to_weekdays() -> None:
    cal = WorkingCalendar(published_years=[2027])
    assert cal.add_workdays(date(2026, 12, 28), 10) == date(2027, 1, 11)


def test_override_turning_a_workday_off_shifts_the_result() -> None:
    assert CAL.add_workdays(date(2026, 4, 30), 3) == date(2026, 5, 8)
    cal = WorkingCalendar(overrides={date(2026, 5, 7): False})
    assert cal.add_workdays(date(2026, 4, 30), 3) == date(2026, 5, 9)


def test_override_can_turn_a_weekend_on() -> None:
    cal = WorkingCalendar(overrides={date(2026, 3, 7): True})
    assert cal.add_workdays(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_overrides_loaded_from_holiday_cn_match_package() -> None:
    cal = WorkingCalendar(overrides=load_holiday_cn(holiday_cn_path(2026)))
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)


# --- due_at --------------------------------------------------------------------------------------


def test_due_at_natural_hours() -> None:
    start = _at(2026, 2, 13, 17, 30)
    assert CAL.due_at(start, 24, TimeUnit.natural_hours) == _at(2026, 2, 14, 17, 30)
    assert CAL.due_at(start, 0.5, "natural_hours") == _at(2026, 2, 13, 18, 0)


def test_due_at_natural_hours_other_zone_input() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = CAL.due_at(start, 2, TimeUnit.natural_hours)
    assert due == _at(2026, 3, 2, 11, 0)
    assert due.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (_at(2026, 2, 13, 16, 0), 2, _at(2026, 2, 24, 18, 0)),
        (_at(2026, 4, 30, 23, 59), 4, _at(2026, 5, 9, 18, 0)),
        (_at(2025, 9, 30, 8, 0), 3, _at(2025, 10, 11, 18, 0)),
    ],
)
def test_due_at_working_days_ends_at_close(start: datetime, n: int, expected: datetime) -> None:
    due = CAL.due_at(start, n, TimeUnit.working_days)
    assert due == expected
    assert due.tzinfo == SH
    assert due.timetz() == time(18, 0, tzinfo=SH)


def test_due_at_working_days_uses_local_date() -> None:
    # 2026-02-13 17:00 UTC is already Saturday 2026-02-14 01:00 in Shanghai.
    start = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)
    assert CAL.due_at(start, 1, TimeUnit.working_days) == _at(2026, 2, 24, 18, 0)


def test_due_at_working_days_rejects_fractions() -> None:
    with pytest.raises(InvalidInput):
        CAL.due_at(_at(2026, 3, 2, 9), 1.5, TimeUnit.working_days)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (_at(2026, 3, 2, 9, 0), 3, _at(2026, 3, 2, 12, 0)),  # exactly the morning
        (_at(2026, 3, 2, 11, 0), 2, _at(2026, 3, 2, 15, 0)),  # spans lunch
        (_at(2026, 3, 2, 12, 30), 1, _at(2026, 3, 2, 15, 0)),  # starts at lunch
        (_at(2026, 3, 2, 7, 0), 1.5, _at(2026, 3, 2, 10, 30)),  # starts before work
        (_at(2026, 3, 6, 17, 0), 2, _at(2026, 3, 9, 10, 0)),  # spans a weekend
        (_at(2026, 3, 7, 10, 0), 1, _at(2026, 3, 9, 10, 0)),  # starts on a Saturday
        (_at(2026, 4, 30, 16, 0), 4, _at(2026, 5, 6, 11, 0)),  # spans 劳动节 5/1-5/5
        (_at(2026, 2, 13, 17, 0), 8, _at(2026, 2, 14, 18, 0)),  # 1 h + 补班 7 h
        (_at(2026, 2, 13, 17, 0), 9, _at(2026, 2, 24, 10, 0)),  # ... then 春节
        (_at(2026, 3, 2, 18, 0), 0, _at(2026, 3, 3, 9, 0)),  # zero at close: next period
        (_at(2026, 3, 2, 10, 0), 14, _at(2026, 3, 4, 10, 0)),  # two whole days
    ],
)
def test_due_at_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.due_at(start, hours, TimeUnit.working_hours) == expected


def test_due_at_working_hours_custom_periods() -> None:
    cal = WorkingCalendar(working_hours=WorkingHours(((time(8, 30), time(17, 30)),)))
    assert cal.due_at(_at(2026, 3, 2, 17, 0), 1, TimeUnit.working_hours) == _at(2026, 3, 3, 9, 0)
    assert cal.due_at(_at(2026, 3, 2, 12, 0), 1, TimeUnit.working_days) == _at(2026, 3, 3, 17, 30)


def test_due_at_working_hours_into_unpublished_year_raises() -> None:
    with pytest.raises(ScheduleUnknown):
        CAL.due_at(_at(2026, 12, 31, 9), 80, TimeUnit.working_hours)


def test_due_at_rejects_naive_and_negative() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.due_at(datetime(2026, 3, 2, 9, 0), 1, TimeUnit.natural_hours)  # noqa: DTZ001
    with pytest.raises(InvalidInput):
        CAL.due_at(_at(2026, 3, 2, 9), -1, TimeUnit.natural_hours)
    with pytest.raises(ValueError, match="not a valid TimeUnit"):
        CAL.due_at(_at(2026, 3, 2, 9), 1, "fortnights")


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12, 0), time(9, 0)),),
        ((time(9, 0), time(13, 0)), (time(12, 0), time(18, 0))),
    ],
)
def test_working_hours_validation(periods: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(InvalidInput):
        WorkingHours(periods)


# --- working_time_between ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (_at(2026, 3, 2, 9, 0), _at(2026, 3, 2, 18, 0), 7),
        (_at(2026, 3, 2, 11, 0), _at(2026, 3, 2, 15, 0), 2),
        (_at(2026, 3, 6, 17, 0), _at(2026, 3, 9, 10, 0), 2),
        (_at(2026, 2, 13, 0, 0), _at(2026, 2, 25, 0, 0), 21),
        (_at(2026, 3, 7, 0, 0), _at(2026, 3, 8, 23, 0), 0),
    ],
)
def test_working_time_between(a: datetime, b: datetime, hours: float) -> None:
    assert CAL.working_time_between(a, b) == timedelta(hours=hours)
    assert CAL.working_time_between(b, a) == -timedelta(hours=hours)


@pytest.mark.parametrize("hours", [0.25, 1, 3, 5.5, 7, 20, 40])
def test_working_time_between_inverts_due_at(hours: float) -> None:
    start = _at(2026, 4, 29, 10, 15)
    due = CAL.due_at(start, hours, TimeUnit.working_hours)
    assert CAL.working_time_between(start, due) == timedelta(hours=hours)


# --- the provisional year ------------------------------------------------------------------------

NEXT = WorkingCalendar(provisional_years={2027})


def test_next_unpublished_year_follows_the_last_published_one() -> None:
    assert BUILTIN_YEARS[-1] == 2026
    assert next_unpublished_year() == 2027
    assert next_unpublished_year({2027}) == 2028
    assert next_unpublished_year({2020}) == 2027  # built in already


def test_a_count_into_the_provisional_year_uses_weekdays_and_says_so() -> None:
    # 12-29, 12-30, 12-31, 2027-01-01 (Fri, no holiday known), 01-04
    assert NEXT.count_workdays(date(2026, 12, 28), 5) == WorkdayCount(date(2027, 1, 4), True)
    assert NEXT.add_workdays(date(2026, 12, 28), 5) == date(2027, 1, 4)
    assert NEXT.count_workdays(date(2026, 12, 21), 3) == WorkdayCount(date(2026, 12, 24), False)
    assert NEXT.is_provisional(date(2027, 6, 1)) and not NEXT.is_provisional(date(2026, 6, 1))


def test_due_reports_provisional_for_working_days_and_hours_only() -> None:
    start = _at(2026, 12, 28, 10)
    assert NEXT.due(start, 5, TimeUnit.working_days) == Due(_at(2027, 1, 4, 18), True)
    assert NEXT.due_at(start, 5, TimeUnit.working_days) == _at(2027, 1, 4, 18)
    assert NEXT.due(start, 2, TimeUnit.working_days) == Due(_at(2026, 12, 30, 18), False)
    # 28th 10:00 -> 31st 18:00 is 7 + 7 + 7 + 7 - 1 = 27 h; one more runs into 2027-01-01
    assert NEXT.due(start, 27, TimeUnit.working_hours) == Due(_at(2026, 12, 31, 18), False)
    assert NEXT.due(start, 28, TimeUnit.working_hours) == Due(_at(2027, 1, 1, 10), True)
    assert NEXT.due(start, 200, TimeUnit.natural_hours).provisional is False


def test_years_beyond_the_provisional_one_are_still_unknown() -> None:
    with pytest.raises(ScheduleUnknown) as info:
        NEXT.due(_at(2027, 12, 28, 10), 5, TimeUnit.working_days)
    assert info.value.extra == {"year": 2028}
    with pytest.raises(ScheduleUnknown):
        NEXT.is_workday(date(2003, 5, 1))  # before the package's data: not provisional either


def test_a_published_or_built_in_year_is_never_provisional() -> None:
    cal = WorkingCalendar(
        overrides={date(2027, 1, 1): False}, published_years={2027}, provisional_years={2026, 2027}
    )
    assert cal.provisional_years == frozenset()
    assert cal.count_workdays(date(2026, 12, 28), 5) == WorkdayCount(date(2027, 1, 5), False)


def test_the_calendar_is_not_changed_by_a_count() -> None:
    NEXT.count_workdays(date(2026, 12, 28), 5)
    assert NEXT.count_workdays(date(2026, 12, 1), 3).provisional is False
