"""Admin routes for the working calendar: list and show years, import a file, publish a year."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from pydantic import BaseModel

from urbanops.admin import calendar as svc
from urbanops.admin.calendar_file import MAX_BYTES, ScheduleDay, ScheduleWarning, holidays
from urbanops.core.calendar import BUILTIN_YEARS
from urbanops.core.web import NowDep, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/admin/calendar", tags=["admin"])

Year = Annotated[int, Path(ge=2000, le=2100, description="the calendar year")]


class DayOut(BaseModel):
    date: date
    off: bool  # true: a day off; false: a make-up working day
    name: str


class HolidayOut(BaseModel):
    name: str
    first: date
    last: date
    days_off: int


class WarningOut(BaseModel):
    code: str
    message: str
    message_en: str
    date: date | None


class YearOut(BaseModel):
    year: int
    status: str  # draft | published | builtin | none | preview
    status_label: str
    status_label_en: str
    imported_at: datetime | None = None
    published_at: datetime | None = None
    source: str = ""
    days_off: int
    make_up_days: int
    holidays: list[HolidayOut]
    days: list[DayOut]
    warnings: list[WarningOut]


class CalendarOut(BaseModel):
    provisional_year: int  # deadlines running into it are counted on weekdays alone
    builtin_years: list[int]  # [first, last] known to the chinesecalendar package
    years: list[YearOut]


class ImportOut(BaseModel):
    format: str
    written: bool
    published: list[int]
    recomputed: int
    warnings: list[WarningOut]
    years: list[YearOut]


class PublishOut(BaseModel):
    year: int
    recomputed: int
    provisional_year: int


def _warnings(warnings: list[ScheduleWarning]) -> list[WarningOut]:
    return [
        WarningOut(code=w.code, message=w.message, message_en=w.message_en, date=w.day)
        for w in warnings
    ]


def _year(
    year: int, status: str, days: list[ScheduleDay], warnings: list[ScheduleWarning], **kw: object
) -> YearOut:
    labels = {**svc.STATUS_ZH, "preview": "预览（未写入）"}
    labels_en = {**svc.STATUS_EN, "preview": "preview (not written)"}
    return YearOut(
        year=year,
        status=status,
        status_label=labels[status],
        status_label_en=labels_en[status],
        days_off=sum(d.off for d in days),
        make_up_days=sum(not d.off for d in days),
        holidays=[HolidayOut(**h.__dict__) for h in holidays(days)],
        days=[DayOut(date=d.day, off=d.off, name=d.name) for d in days],
        warnings=_warnings(warnings),
        **kw,
    )


def _view(view: svc.YearView) -> YearOut:
    return _year(
        view.year,
        view.status,
        view.days,
        view.warnings,
        imported_at=view.imported_at,
        published_at=view.published_at,
        source=view.source,
    )


@router.get("", response_model=CalendarOut)
def list_years(session: SessionDep, actor: StaffDep) -> CalendarOut:
    svc.require_admin(actor)
    return CalendarOut(
        provisional_year=svc.provisional_year(session),
        builtin_years=[BUILTIN_YEARS[0], BUILTIN_YEARS[-1]],
        years=[_view(v) for v in svc.imported_years(session)],
    )


@router.get("/{year}", response_model=YearOut)
def show_year(session: SessionDep, actor: StaffDep, year: Year) -> YearOut:
    svc.require_admin(actor)
    return _view(svc.year_view(session, year))


@router.post("/import", response_model=ImportOut)
def import_file(
    session: SessionDep,
    actor: StaffDep,
    now: NowDep,
    file: Annotated[UploadFile, File(description="holiday-cn JSON or CSV date,off|on[,name]")],
    publish: Annotated[
        bool, Form(description="publish at once (to correct a published year)")
    ] = False,
    preview: Annotated[bool, Form(description="parse and report only, write nothing")] = False,
) -> ImportOut:
    svc.require_admin(actor)
    data = file.file.read(MAX_BYTES + 1)
    result = svc.import_schedule(
        session,
        actor=actor,
        now=now,
        data=data,
        filename=file.filename or "",
        publish=publish,
        preview=preview,
    )
    years = []
    for y in result.years:
        if not result.written:
            status = "preview"
        else:
            status = "published" if y.year in result.published else "draft"
        years.append(_year(y.year, status, y.days, y.warnings))
    return ImportOut(
        format=result.format,
        written=result.written,
        published=result.published,
        recomputed=result.recomputed,
        warnings=_warnings(result.warnings),
        years=years,
    )


@router.post("/{year}/publish", response_model=PublishOut)
def publish(session: SessionDep, actor: StaffDep, now: NowDep, year: Year) -> PublishOut:
    result = svc.publish_year(session, actor=actor, now=now, year=year)
    return PublishOut(
        year=result.year, recomputed=result.recomputed, provisional_year=result.provisional_year
    )
