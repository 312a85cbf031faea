"""The admin-editable calendar overrides and their loading into a `WorkingCalendar`.

Each November the State Council publishes next year's schedule; until the `chinesecalendar`
package ships it, an admin enters the year's off days and make-up working days here and marks
the year as published.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from urbanops.core.calendar import WorkingCalendar
from urbanops.core.db import Base


class CalendarOverride(Base):
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


def load_calendar(session: Session) -> WorkingCalendar:
    overrides = {row.day: row.is_workday for row in session.scalars(select(CalendarOverride))}
    years = set(
        session.scalars(select(CalendarYear.year).where(CalendarYear.published_at.is_not(None)))
    )
    return WorkingCalendar(overrides=overrides, published_years=years)
