"""Reading holiday schedules: the holiday-cn JSON and the CSV, warnings, and refused input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from urbanops.admin.calendar_file import MAX_BYTES, ScheduleDay, parse_schedule
from urbanops.core.calendar import holiday_cn_path
from urbanops.core.errors import InvalidInput

FIXTURE_2027 = (
    Path(__file__).resolve().parents[2] / "data" / "calendar" / "holiday-cn-2027-fixture.json"
)


def codes(data: bytes) -> list[str]:
    parsed = parse_schedule(data)
    return [w.code for w in parsed.warnings] + [
        w.code for y in parsed.years.values() for w in y.warnings
    ]


def refused_line(data: bytes) -> int:
    with pytest.raises(InvalidInput) as err:
        parse_schedule(data)
    assert err.value.code == "calendar_file_malformed"
    assert "未导入任何内容" in err.value.message and "nothing was imported" in err.value.message_en
    line = err.value.extra["line"]
    assert isinstance(line, int)
    return line


def test_the_bundled_2026_file_reads_like_the_official_schedule() -> None:
    parsed = parse_schedule(holiday_cn_path(2026).read_bytes())
    assert parsed.format == "holiday-cn" and list(parsed.years) == [2026]
    y = parsed.years[2026]
    assert [d.day for d in y.make_up_days] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert [(h.name, h.first, h.last) for h in y.holidays][:2] == [
        ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
        ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ]
    assert len(y.holidays) == 7
    assert parsed.sources == ["https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"]
    assert parsed.warnings == [] and y.warnings == []


@pytest.mark.parametrize("year", [2024, 2025])
def test_other_bundled_files_have_no_doubts(year: int) -> None:
    assert codes(holiday_cn_path(year).read_bytes()) == []


def test_the_2027_fixture() -> None:
    y = parse_schedule(FIXTURE_2027.read_bytes()).years[2027]
    assert len(y.days_off) == 11 and [d.day for d in y.make_up_days] == [date(2027, 2, 20)]


def test_csv_with_header_bom_names_comments_and_chinese_words() -> None:
    data = (
        "\ufeffdate,off|on,name\n"
        "# 2027 元旦\n"
        "2027-01-01,off,元旦\n"
        "\n"
        " 2027-01-02 , OFF , 元旦 \n"
        "2027-02-05,休,春节\n"
        "2027-02-20,班,春节\n"
        "2028-01-01,off\n"
    ).encode()
    parsed = parse_schedule(data)
    assert parsed.format == "csv" and sorted(parsed.years) == [2027, 2028]
    assert parsed.years[2027].days == [
        ScheduleDay(date(2027, 1, 1), True, "元旦"),
        ScheduleDay(date(2027, 1, 2), True, "元旦"),
        ScheduleDay(date(2027, 2, 5), True, "春节"),
        ScheduleDay(date(2027, 2, 20), False, "春节"),
    ]
    assert parsed.years[2028].days == [ScheduleDay(date(2028, 1, 1), True, "")]


def test_csv_without_header() -> None:
    parsed = parse_schedule(b"2027-01-01,off\r\n2027-01-02,off\r\n")
    assert [d.day.day for d in parsed.years[2027].days] == [1, 2]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"2027-01-01,off\n2027-13-01,off\n", 2),
        (b"date,off|on\n2027-01-01,off\n2027-01-02\n", 3),
        (b"2027-01-01,off\n2027-01-02,maybe\n", 2),
        (b"2027-01-01,off,x,y\n", 1),
        (b"2027-1-1,off\n", 1),
        (b"1899-01-01,off\n", 1),
        (b"2027-01-01,off," + "长".encode() * 51 + b"\n", 1),
        (b"2027-01-01,off\n2027-01-01,on\n", 2),  # contradicting duplicate
        (b"2027-01-01,off\n\xff\xfe,off\n", 2),  # not UTF-8
        (b"2027-01-01,off\n2027-01-02,off\x00\n", 2),
        (b"header,only\n", 1),
    ],
)
def test_malformed_csv_is_refused_with_its_line(data: bytes, line: int) -> None:
    assert refused_line(data) == line


def test_empty_files_are_refused() -> None:
    for data in (b"", b"  \n", b"date,off|on\n", b"# nothing\n"):
        with pytest.raises(InvalidInput) as err:
            parse_schedule(data)
        assert err.value.code == "calendar_file_empty"


def test_oversized_files_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_schedule(b"#" * (MAX_BYTES + 1))
    assert err.value.code == "calendar_file_too_large"


def _json(days: list[dict[str, object]], year: object = 2027) -> bytes:
    return json.dumps({"year": year, "papers": [], "days": days}, indent=2).encode()


def test_malformed_json_is_refused_with_its_line() -> None:
    assert refused_line(b'{"year": 2027,\n "days": [\n}') == 3
    assert refused_line(b'{"days": []}') == 1  # no year
    assert refused_line(b'{"year": 2027}') == 1  # no days
    good = {"name": "元旦", "date": "2027-01-01", "isOffDay": True}
    bad_date = {"name": "元旦", "date": "2027-02-30", "isOffDay": True}
    # the second entry's "date" is on line 12 of the indented file
    assert refused_line(_json([good, bad_date])) == 12
    assert refused_line(_json([good, {"name": "x", "date": "2027-01-02", "isOffDay": "yes"}])) == 12
    assert refused_line(_json([good, {"name": 3, "date": "2027-01-02", "isOffDay": True}])) == 12
    assert refused_line(_json([good], year="2027")) == 1


def test_warnings_for_doubtful_days() -> None:
    days: list[dict[str, object]] = [
        {"name": "元旦", "date": "2026-12-31", "isOffDay": True},  # outside the year
        {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
        {"name": "元旦", "date": "2027-01-01", "isOffDay": True},  # duplicate
        {"name": "春节", "date": "2027-02-08", "isOffDay": True},
        {"name": "春节", "date": "2027-02-13", "isOffDay": False},  # Saturday, paired (≤ 10 d)
        {"name": "国庆", "date": "2027-03-06", "isOffDay": False},  # Saturday, no weekday off near
        {"name": "国庆", "date": "2027-03-10", "isOffDay": False},  # a Wednesday
    ]
    parsed = parse_schedule(_json(days))
    assert [w.code for w in parsed.warnings] == ["duplicate", "outside_year"]
    assert "2026-12-31" in parsed.warnings[1].message
    y = parsed.years[2027]
    assert date(2026, 12, 31) not in {d.day for d in y.days}
    assert [(w.code, w.day) for w in y.warnings] == [
        ("make_up_without_pair", date(2027, 3, 6)),
        ("make_up_on_weekday", date(2027, 3, 10)),
    ]


def test_a_year_without_days_off_is_doubtful() -> None:
    assert codes(b"2027-02-20,on\n") == ["no_days_off", "make_up_without_pair"]
