"""The calendar admin page in a real browser: sign in as an admin, upload a schedule, review the
draft's month grid, publish it. The year is removed again afterwards (the browser tests commit)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, extract
from sqlalchemy.orm import sessionmaker

from urbanops.cases import clock, sweep
from urbanops.core.calendar_store import CalendarOverride, CalendarYear, load_calendar
from urbanops.core.clock import utcnow
from urbanops.identity import service as identity
from urbanops.identity.roles import SYSTEM, Role

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "calendar" / "holiday-cn-2027-fixture.json"
YEAR = 2027
SCREENSHOT = "/tmp/admin_calendar.png"


def _remove_year(engine: Engine) -> None:
    with sessionmaker(engine).begin() as s:
        s.execute(delete(CalendarOverride).where(extract("year", CalendarOverride.day) == YEAR))
        s.execute(delete(CalendarYear).where(CalendarYear.year == YEAR))
        s.flush()
        # deadlines the publication moved go back to what the remaining calendar says
        sweep.recompute_deadlines(
            s, actor=SYSTEM, now=utcnow(), calendar=load_calendar(s), year=YEAR
        )
        clock.calendar_changed(s)


@pytest.fixture
def no_2027(engine: Engine) -> Iterator[None]:
    _remove_year(engine)
    yield
    _remove_year(engine)


@pytest.fixture
def admin_login(engine: Engine) -> tuple[str, str]:
    name, password = f"admin_{uuid.uuid4().hex[:6]}", PASSWORD
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s, username=name, password=password, display_name="管理员 测试", roles=[Role.admin]
        )
    return name, password


def test_admin_uploads_reviews_and_publishes_a_year(
    browser: Any, live_server: str, no_2027: None, admin_login: tuple[str, str]
) -> None:
    page = browser.new_page(
        viewport={"width": 1366, "height": 900}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # (a refused upload logs its 422, and the browser asks for /favicon.ico: not script errors)
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.goto("/admin/calendar")
    page.fill("#u", admin_login[0])
    page.fill("#p", admin_login[1])
    page.click("#login button")
    page.wait_for_selector("#work:not([hidden])")
    assert "跨入 2027 年的时限" in page.text_content("#status-line")

    # a malformed file is refused with its line, and nothing appears
    page.set_input_files(
        "#file",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"2027-01-01,off\nnope\n"}],
    )
    page.click("#import-btn")
    page.wait_for_selector("#upload-msg.bad:not([hidden])")
    assert "第 2 行" in page.text_content("#upload-msg")
    assert page.query_selector("section.year[data-year='2027']") is None

    page.set_input_files("#file", str(FIXTURE))
    page.click("#import-btn")
    draft = page.wait_for_selector("#years section.year[data-year='2027'][data-status='draft']")
    assert "草稿" in draft.text_content()
    assert (
        page.get_attribute("#years [data-year='2027'] td[data-date='2027-01-01']", "class") == "off"
    )
    assert (
        page.get_attribute("#years [data-year='2027'] td[data-date='2027-02-20']", "class") == "on"
    )
    assert (
        page.get_attribute("#years [data-year='2027'] td[data-date='2027-01-09']", "class") == "we"
    )
    assert page.get_attribute("#years [data-year='2027'] td[data-date='2027-01-04']", "class") == ""
    assert page.text_content("#years [data-year='2027'] .n-off") == "11"
    assert page.text_content("#years [data-year='2027'] .n-on") == "1"
    holidays = page.text_content("#years [data-year='2027'] ul.holidays")
    assert "元旦" in holidays and "春节" in holidays
    page.screenshot(path=SCREENSHOT.replace(".png", "_draft.png"), full_page=True)

    page.click("#years button[data-publish='2027']")
    page.wait_for_selector("#years section.year[data-year='2027'][data-status='published']")
    assert "已发布" in page.text_content("#upload-msg")
    assert "2028" in page.text_content("#status-line")
    assert page.query_selector("#years button[data-publish='2027']") is None

    page.click("#lang")
    page.wait_for_selector("#years section.year[data-year='2027'] .badge:has-text('published')")
    assert "Days off" in page.text_content("#years [data-year='2027']")
    page.click("#lang")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.close()
    assert errors == []
