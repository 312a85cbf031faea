"""The admin-published calendar and its loading into a `WorkingCalendar`.

Each November the State Council publishes next year's schedule; until the `chinesecalendar`
package ships it, an admin imports the year's days off and make-up working days
(`urbanops calendar import`, or /admin/calendar). An import of a year not yet published is a
draft: its days are `CalendarOverride` rows of a `CalendarYear` with `imported_at` set and
`published_at` unset, and they do not count until published (see `urbanops.admin.calendar`).
A correction of a published year replaces its days and is published at once. Until the year
after the last published one is published, deadlines crossing into it are provisional.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, extract, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from urbanops.core.calendar import WorkingCalendar, next_unpublished_year
from urbanops.core.db import Base


class CalendarOverride(Base):
    """A day off or make-up working day (of a draft year: not counted until published)."""

    __tablename__ = "calendar_override"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(50), default="", server_default="")


class CalendarYear(Base):
    """A year whose schedule an admin has imported (draft) and, once reviewed, published."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    imported_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]


def published_years(session: Session) -> set[int]:
    return set(
        session.scalars(select(CalendarYear.year).where(CalendarYear.published_at.is_not(None)))
    )


def load_calendar(session: Session) -> WorkingCalendar:
    """The calendar deadlines use: published days, and the next unpublished year provisional."""
    drafts = select(CalendarYear.year).where(CalendarYear.published_at.is_(None))
    rows = session.execute(
        select(CalendarOverride.day, CalendarOverride.is_workday).where(
            extract("year", CalendarOverride.day).not_in(drafts)
        )
    )
    overrides = {row.day: row.is_workday for row in rows}
    years = published_years(session)
    return WorkingCalendar(
        overrides=overrides,
        published_years=years,
        provisional_years={next_unpublished_year(years)},
    )
