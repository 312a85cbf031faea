"""Importing, reviewing and publishing a year's holiday schedule.

`import_schedule` stages each year of a file as a draft (`CalendarYear.imported_at`, one
`CalendarOverride` row per listed day; a re-import replaces the draft's rows). A draft does not
count for deadlines until `publish_year`, which sets `published_at` and, in the same
transaction, recomputes the deadline of every case that is provisional or unknown or whose
running stage crosses the year. A year already published can be corrected only by importing
with `publish=True` (the correction replaces its days and is published at once); `preview=True`
parses and reports without writing, to review a correction first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, extract, select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.admin.calendar_file import (
    Holiday,
    ParsedSchedule,
    ScheduleDay,
    ScheduleWarning,
    YearSchedule,
    check_year,
    holidays,
    parse_schedule,
)
from urbanops.cases import clock, sweep
from urbanops.core.calendar import BUILTIN_YEARS, next_unpublished_year
from urbanops.core.calendar_store import (
    CalendarOverride,
    CalendarYear,
    load_calendar,
    published_years,
)
from urbanops.core.errors import Conflict, NotFound, PermissionDenied
from urbanops.identity.roles import Actor, ActorKind, Role


@dataclass
class YearView:
    """A year's schedule as stored, for `calendar show` and the admin page."""

    year: int
    status: str  # "draft", "published", "builtin" (chinesecalendar), "none"
    days: list[ScheduleDay]
    imported_at: datetime | None = None
    published_at: datetime | None = None
    source: str = ""
    warnings: list[ScheduleWarning] = field(default_factory=list)

    @property
    def days_off(self) -> int:
        return sum(d.off for d in self.days)

    @property
    def make_up_days(self) -> int:
        return sum(not d.off for d in self.days)

    @property
    def holidays(self) -> list[Holiday]:
        return holidays(self.days)


@dataclass
class ImportResult:
    format: str
    years: list[YearSchedule]
    warnings: list[ScheduleWarning]  # file-level
    written: bool
    published: list[int] = field(default_factory=list)
    recomputed: int = 0


@dataclass
class PublishResult:
    year: int
    recomputed: int  # cases whose deadline moved
    provisional_year: int  # the year now counted on weekdays alone


def require_admin(actor: Actor) -> None:
    if actor.kind is ActorKind.system or Role.admin in actor.roles:
        return
    raise PermissionDenied(
        "只有系统管理员可以导入和发布节假日安排",
        code="admin_only",
        message_en="only an admin may import or publish a holiday schedule",
    )


def import_schedule(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    data: bytes,
    filename: str = "",
    publish: bool = False,
    preview: bool = False,
) -> ImportResult:
    """Stage (and with `publish`, publish) the year(s) of a holiday-cn JSON or CSV file."""
    require_admin(actor)
    parsed: ParsedSchedule = parse_schedule(data, filename)
    result = ImportResult(parsed.format, list(parsed.years.values()), parsed.warnings, False)
    if preview:
        return result
    rows = {y.year: session.get(CalendarYear, y.year, with_for_update=True) for y in result.years}
    for year, row in rows.items():
        if row is not None and row.published_at is not None and not publish:
            raise Conflict(
                f"{year} 年的安排已发布；导入更正须同时发布（--publish / 立即发布）",
                code="calendar_year_published",
                message_en=(
                    f"the {year} schedule is published; import a correction with publish "
                    "(--publish) to replace it"
                ),
                extra={"year": year},
            )
    source = (parsed.sources[0] if parsed.sources else filename)[:300]
    for schedule in result.years:
        row = rows[schedule.year]
        if row is None:
            row = CalendarYear(year=schedule.year)
            session.add(row)
        row.imported_at, row.source_url = now, source
        session.execute(
            delete(CalendarOverride).where(extract("year", CalendarOverride.day) == schedule.year)
        )
        session.add_all(
            CalendarOverride(day=d.day, is_workday=not d.off, name=d.name) for d in schedule.days
        )
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="calendar_year",
            key=schedule.year,
            change="import",
            after={
                "source": source,
                "days_off": sum(d.off for d in schedule.days),
                "make_up_days": sum(not d.off for d in schedule.days),
            },
        )
    session.flush()
    result.written = True
    if publish:
        for schedule in sorted(result.years, key=lambda y: y.year):
            published = _publish(session, actor, now, rows[schedule.year] or schedule.year)
            result.published.append(schedule.year)
            result.recomputed += published.recomputed
    return result


def publish_year(session: Session, *, actor: Actor, now: datetime, year: int) -> PublishResult:
    """Publish an imported year and recompute the deadlines it changes (one transaction)."""
    require_admin(actor)
    row = session.get(CalendarYear, year, with_for_update=True)
    if row is None or row.imported_at is None:
        raise NotFound(
            f"{year} 年的节假日安排尚未导入",
            code="calendar_year_not_imported",
            message_en=f"no schedule imported for {year}",
            extra={"year": year},
        )
    if row.published_at is not None:
        raise Conflict(
            f"{year} 年的安排已发布；如需更正，请导入更正后的文件并立即发布",
            code="calendar_year_already_published",
            message_en=f"the {year} schedule is already published; import a correction to change it",
            extra={"year": year},
        )
    return _publish(session, actor, now, row)


def _publish(
    session: Session, actor: Actor, now: datetime, row_or_year: CalendarYear | int
) -> PublishResult:
    row = row_or_year
    if isinstance(row, int):
        found = session.get(CalendarYear, row)
        assert found is not None
        row = found
    year = row.year
    before = year - 1
    if before not in BUILTIN_YEARS and before not in published_years(session):
        raise Conflict(
            f"请先发布 {before} 年的安排，再发布 {year} 年",
            code="calendar_previous_year_unpublished",
            message_en=f"publish {before} before {year}",
            extra={"year": year},
        )
    row.published_at = now
    session.flush()
    calendar = load_calendar(session)
    changed = sweep.recompute_deadlines(session, actor=actor, now=now, calendar=calendar, year=year)
    clock.calendar_changed(session)
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="calendar_year",
        key=year,
        change="publish",
        before={"published": False},
        after={"published": True, "deadlines_recomputed": len(changed)},
    )
    return PublishResult(year, len(changed), next_unpublished_year(published_years(session)))


def _days(session: Session, year: int) -> list[ScheduleDay]:
    rows = session.scalars(
        select(CalendarOverride)
        .where(extract("year", CalendarOverride.day) == year)
        .order_by(CalendarOverride.day)
    )
    return [ScheduleDay(r.day, not r.is_workday, r.name) for r in rows]


def _view(year: int, row: CalendarYear | None, days: list[ScheduleDay]) -> YearView:
    if row is None or row.imported_at is None:
        status = "builtin" if year in BUILTIN_YEARS else "none"
        return YearView(year, status, days)
    status = "published" if row.published_at is not None else "draft"
    return YearView(
        year,
        status,
        days,
        imported_at=row.imported_at,
        published_at=row.published_at,
        source=row.source_url,
        warnings=check_year(year, days),
    )


def year_view(session: Session, year: int) -> YearView:
    return _view(year, session.get(CalendarYear, year), _days(session, year))


def imported_years(session: Session) -> list[YearView]:
    """Every imported year, newest first, in two statements whatever their number."""
    rows = session.scalars(
        select(CalendarYear)
        .where(CalendarYear.imported_at.is_not(None))
        .order_by(CalendarYear.year.desc())
    ).all()
    days: dict[int, list[ScheduleDay]] = {row.year: [] for row in rows}
    if days:
        for r in session.scalars(
            select(CalendarOverride)
            .where(extract("year", CalendarOverride.day).in_(list(days)))
            .order_by(CalendarOverride.day)
        ):
            days[r.day.year].append(ScheduleDay(r.day, not r.is_workday, r.name))
    return [_view(row.year, row, days[row.year]) for row in rows]


def provisional_year(session: Session) -> int:
    return next_unpublished_year(published_years(session))


# --- text for the command line ------------------------------------------------------------------

STATUS_ZH = {"draft": "草稿（未发布）", "published": "已发布", "builtin": "内置", "none": "未导入"}
STATUS_EN = {
    "draft": "draft (not published)",
    "published": "published",
    "builtin": "built in (chinesecalendar)",
    "none": "not imported",
}


def _holiday_text(h: Holiday) -> str:
    span = h.first.isoformat() if h.first == h.last else f"{h.first}–{h.last:%m-%d}"
    return f"{h.name or '（未命名）'} {span}（{h.days_off} 天）"


def _warning_lines(warnings: list[ScheduleWarning]) -> list[str]:
    return [f"  ! {w.message} / {w.message_en}" for w in warnings]


def import_lines(result: ImportResult) -> list[str]:
    """The summary `urbanops calendar import` prints."""
    lines = [f"格式 / format: {result.format}"]
    lines += _warning_lines(result.warnings)
    for y in result.years:
        state = "已发布 / published" if y.year in result.published else "草稿 / draft"
        if not result.written:
            state = "预览，未写入 / preview, nothing written"
        lines.append(
            f"{y.year}: {state}; 放假 {len(y.days_off)} 天 / days off, "
            f"补班 {len(y.make_up_days)} 天 / make-up working days"
        )
        if y.holidays:
            lines.append("  节假日 / holidays: " + "；".join(_holiday_text(h) for h in y.holidays))
        if y.make_up_days:
            lines.append(
                "  补班 / make-up days: "
                + ", ".join(
                    f"{d.day:%m-%d}（周{'一二三四五六日'[d.day.weekday()]}）"
                    for d in y.make_up_days
                )
            )
        lines += _warning_lines(y.warnings)
    if result.published:
        lines.append(f"重算时限的案件 / cases with a recomputed deadline: {result.recomputed}")
    elif result.written:
        years = " ".join(str(y.year) for y in result.years)
        lines.append(f"审核后发布 / publish after review: urbanops calendar publish {years}")
    return lines


def view_lines(view: YearView) -> list[str]:
    """What `urbanops calendar show YEAR` prints."""
    lines = [f"{view.year}: {STATUS_ZH[view.status]} / {STATUS_EN[view.status]}"]
    if view.imported_at:
        lines.append(f"导入 / imported: {view.imported_at.isoformat(timespec='seconds')}")
    if view.published_at:
        lines.append(f"发布 / published: {view.published_at.isoformat(timespec='seconds')}")
    if view.source:
        lines.append(f"来源 / source: {view.source}")
    lines.append(f"放假 {view.days_off} 天 / days off, 补班 {view.make_up_days} 天 / make-up days")
    for h in view.holidays:
        lines.append(f"  {_holiday_text(h)}")
    for d in view.days:
        kind = "放假 off" if d.off else "补班 on "
        lines.append(f"  {d.day} 周{'一二三四五六日'[d.day.weekday()]} {kind} {d.name}".rstrip())
    lines += _warning_lines(view.warnings)
    return lines
