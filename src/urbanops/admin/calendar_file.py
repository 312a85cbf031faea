"""Reading a year's holiday schedule from a file: pure, no database.

Two formats: the NateScarlet/holiday-cn JSON (``{"year", "papers", "days": [{"name", "date",
"isOffDay"}]}``, as bundled in ``urbanops/data/calendar``) and a simple CSV of
``date,off|on[,name]`` (header optional; UTF-8 with or without BOM; blank lines and lines
starting with ``#`` are skipped). Malformed input raises :class:`InvalidInput` naming the line
(or the entry) and nothing is returned; doubtful input parses with warnings.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from urbanops.core.errors import InvalidInput

MAX_BYTES = 256 * 1024
MAX_NAME = 50
YEARS = range(2000, 2101)
PAIR_WINDOW = timedelta(days=10)  # a make-up day lies this close to a weekday off
OFF_WORDS = {"off": True, "休": True, "on": False, "班": False}


@dataclass(frozen=True)
class ScheduleWarning:
    code: str
    message: str
    message_en: str
    day: date | None = None


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    off: bool  # True: a day off; False: a (make-up) working day
    name: str = ""


@dataclass(frozen=True)
class Holiday:
    name: str
    first: date
    last: date
    days_off: int


@dataclass
class YearSchedule:
    year: int
    days: list[ScheduleDay]
    warnings: list[ScheduleWarning] = field(default_factory=list)

    @property
    def days_off(self) -> list[ScheduleDay]:
        return [d for d in self.days if d.off]

    @property
    def make_up_days(self) -> list[ScheduleDay]:
        return [d for d in self.days if not d.off]

    @property
    def holidays(self) -> list[Holiday]:
        return holidays(self.days)


@dataclass
class ParsedSchedule:
    format: str  # "holiday-cn" or "csv"
    years: dict[int, YearSchedule]
    sources: list[str] = field(default_factory=list)  # holiday-cn `papers`
    warnings: list[ScheduleWarning] = field(default_factory=list)  # file-level (duplicates, …)


def _malformed(where_zh: str, where_en: str, what_zh: str, what_en: str, line: int) -> InvalidInput:
    return InvalidInput(
        f"文件格式有误（{where_zh}）：{what_zh}；未导入任何内容",
        code="calendar_file_malformed",
        message_en=f"malformed file ({where_en}): {what_en}; nothing was imported",
        extra={"line": line},
    )


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"文件过大（上限 {MAX_BYTES // 1024} KB）",
            code="calendar_file_too_large",
            message_en=f"the file is larger than {MAX_BYTES // 1024} KB",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _malformed(
            f"第 {line} 行", f"line {line}", "不是 UTF-8 编码", "not UTF-8", line
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _malformed(f"第 {line} 行", f"line {line}", "含有空字符", "contains NUL", line)
    return text


def parse_schedule(data: bytes, filename: str = "") -> ParsedSchedule:
    """Parse a holiday-cn JSON or CSV file (by content: JSON starts with ``{``)."""
    text = _decode(data)
    if not text.strip():
        raise InvalidInput("文件为空", code="calendar_file_empty", message_en="the file is empty")
    if text.lstrip().startswith("{") or filename.lower().endswith(".json"):
        parsed = _parse_holiday_cn(text)
    else:
        parsed = _parse_csv(text)
    for schedule in parsed.years.values():
        schedule.warnings.extend(check_year(schedule.year, schedule.days))
    return parsed


def _parse_date(value: Any, where: tuple[str, str, int]) -> date:
    try:
        if not isinstance(value, str) or len(value.strip()) != 10:
            raise ValueError
        d = date.fromisoformat(value.strip())
    except ValueError:
        raise _malformed(
            *where[:2],
            f"日期“{str(value)[:20]}”应为 YYYY-MM-DD",
            f"bad date {str(value)[:20]!r}",
            where[2],
        ) from None
    if d.year not in YEARS:
        raise _malformed(
            *where[:2], f"年份 {d.year} 超出范围", f"year {d.year} is out of range", where[2]
        )
    return d


def _parse_name(value: Any, where: tuple[str, str, int]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(*where[:2], "名称应为文字", "name must be a string", where[2])
    name = value.strip()
    if len(name) > MAX_NAME:
        raise _malformed(
            *where[:2], f"名称超过 {MAX_NAME} 个字", f"name longer than {MAX_NAME}", where[2]
        )
    return name


def _line_of(text: str, needle: str, start: int) -> tuple[int, int]:
    """Line number of the next occurrence of ``needle`` from ``start`` (for messages)."""
    pos = text.find(needle, start)
    if pos < 0:
        return 0, start
    return text.count("\n", 0, pos) + 1, pos + len(needle)


def _parse_holiday_cn(text: str) -> ParsedSchedule:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _malformed(
            f"第 {exc.lineno} 行", f"line {exc.lineno}", "不是有效的 JSON", exc.msg, exc.lineno
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("days"), list):
        raise _malformed(
            "第 1 行",
            "line 1",
            "缺少 days 列表（holiday-cn 格式）",
            "no `days` list (holiday-cn format)",
            1,
        )
    year = doc.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or year not in YEARS:
        raise _malformed("第 1 行", "line 1", "缺少有效的 year", "missing or invalid `year`", 1)
    papers = doc.get("papers") or []
    sources = [p for p in papers if isinstance(p, str)] if isinstance(papers, list) else []
    entries: list[tuple[int, ScheduleDay]] = []
    cursor = 0
    for i, entry in enumerate(doc["days"], start=1):
        line, cursor = _line_of(text, '"date"', cursor)
        where = (f"第 {i} 项，第 {line} 行", f"entry {i}, line {line}", line)
        if not isinstance(entry, dict):
            raise _malformed(*where[:2], "应为对象", "must be an object", line)
        d = _parse_date(entry.get("date"), where)
        off = entry.get("isOffDay")
        if not isinstance(off, bool):
            raise _malformed(
                *where[:2], "isOffDay 应为 true 或 false", "isOffDay must be a boolean", line
            )
        entries.append((line, ScheduleDay(d, off, _parse_name(entry.get("name"), where))))
    days, warnings = _dedupe(entries)
    inside = [sd for sd in days if sd.day.year == year]
    for sd in days:
        if sd.day.year != year:
            warnings.append(
                ScheduleWarning(
                    "outside_year",
                    f"{sd.day} 不在 {year} 年内，已忽略（请在 {sd.day.year} 年的安排中导入）",
                    f"{sd.day} is outside {year} and was skipped (import it with {sd.day.year})",
                    sd.day,
                )
            )
    return ParsedSchedule("holiday-cn", {year: YearSchedule(year, inside)}, sources, warnings)


def _parse_csv(text: str) -> ParsedSchedule:
    entries: list[tuple[int, ScheduleDay]] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        row = [c.strip() for c in next(csv.reader(io.StringIO(line)))]
        where = (f"第 {line_no} 行", f"line {line_no}", line_no)
        if not entries and row and row[0].lower() in ("date", "日期"):
            continue  # the header
        if len(row) not in (2, 3):
            raise _malformed(
                *where[:2],
                "每行应为 日期,off|on[,名称]",
                "each line must be date,off|on[,name]",
                line_no,
            )
        d = _parse_date(row[0], where)
        off = OFF_WORDS.get(row[1].lower())
        if off is None:
            raise _malformed(
                *where[:2],
                f"第二列应为 off（放假）或 on（上班），而不是“{row[1][:20]}”",
                f"second column must be off or on, not {row[1][:20]!r}",
                line_no,
            )
        name = _parse_name(row[2] if len(row) == 3 else "", where)
        entries.append((line_no, ScheduleDay(d, off, name)))
    if not entries:
        raise InvalidInput(
            "文件中没有日期", code="calendar_file_empty", message_en="the file lists no days"
        )
    days, warnings = _dedupe(entries)
    years: dict[int, list[ScheduleDay]] = {}
    for sd in days:
        years.setdefault(sd.day.year, []).append(sd)
    return ParsedSchedule(
        "csv", {y: YearSchedule(y, ds) for y, ds in sorted(years.items())}, [], warnings
    )


def _dedupe(
    entries: list[tuple[int, ScheduleDay]],
) -> tuple[list[ScheduleDay], list[ScheduleWarning]]:
    seen: dict[date, tuple[int, ScheduleDay]] = {}
    warnings: list[ScheduleWarning] = []
    for line, d in entries:
        first = seen.get(d.day)
        if first is None:
            seen[d.day] = (line, d)
            continue
        if first[1].off != d.off:
            raise _malformed(
                f"第 {line} 行",
                f"line {line}",
                f"{d.day} 与第 {first[0]} 行矛盾（既放假又上班）",
                f"{d.day} contradicts line {first[0]} (both off and on)",
                line,
            )
        warnings.append(
            ScheduleWarning(
                "duplicate",
                f"{d.day} 重复出现（第 {first[0]} 行与第 {line} 行），按一次计",
                f"{d.day} is listed twice (lines {first[0]} and {line}); counted once",
                d.day,
            )
        )
    return sorted((d for _, d in seen.values()), key=lambda d: d.day), warnings


def check_year(year: int, days: Iterable[ScheduleDay]) -> list[ScheduleWarning]:
    """Doubts about a year's schedule that do not stop an import."""
    days = list(days)
    out: list[ScheduleWarning] = []
    weekday_off = [d.day for d in days if d.off and d.day.weekday() < 5]
    if not any(d.off for d in days):
        out.append(
            ScheduleWarning(
                "no_days_off", f"{year} 年没有列出放假日", f"no days off listed for {year}"
            )
        )
    for d in days:
        if d.off:
            continue
        if d.day.weekday() < 5:
            out.append(
                ScheduleWarning(
                    "make_up_on_weekday",
                    f"{d.day}（周{'一二三四五'[d.day.weekday()]}）本来就是工作日，列为补班无效",
                    f"{d.day} is a weekday and a working day anyway",
                    d.day,
                )
            )
        elif not any(abs(off - d.day) <= PAIR_WINDOW for off in weekday_off):
            out.append(
                ScheduleWarning(
                    "make_up_without_pair",
                    f"补班日 {d.day}{('（' + d.name + '）') if d.name else ''}前后 "
                    f"{PAIR_WINDOW.days} 天内没有调休放假的工作日",
                    f"make-up day {d.day} has no weekday off within {PAIR_WINDOW.days} days",
                    d.day,
                )
            )
    return out


def holidays(days: Iterable[ScheduleDay]) -> list[Holiday]:
    """Runs of days off, named (consecutive days, weekends between included, one name)."""
    out: list[Holiday] = []
    for d in sorted((d for d in days if d.off), key=lambda d: d.day):
        last = out[-1] if out else None
        if last and last.name == d.name and (d.day - last.last).days <= 3:
            out[-1] = Holiday(last.name, last.first, d.day, last.days_off + 1)
        else:
            out.append(Holiday(d.name, d.day, d.day, 1))
    return out
