"""The citizen app's side of earning in a real browser: the app sends its own device id with a
report (kept in localStorage, the same on the next request), the report's origin keeps only its
digest, and once the projection has run the citizen's rewards show the pending points."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.core.settings import get_settings
from urbanops.reports.models import Report, ReportOrigin
from urbanops.rewards.jobs import project_all

from .test_citizen_app import photo_file, sign_in

pytestmark = pytest.mark.browser


def test_a_report_carries_the_device_id_and_earns_pending_points(
    browser: Browser,
    live_server: str,
    engine: Engine,
    tmp_path: Path,
) -> None:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        # 塘厦, a kilometre from where the other tests report: no duplicate of theirs
        geolocation={"latitude": 22.8096, "longitude": 114.0641},
        permissions=["geolocation"],
        base_url=live_server,
    )
    page = ctx.new_page()
    sent: list[str | None] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("x-device-id"))
            if r.url.endswith("/api/v1/citizen/reports") and r.method == "POST"
            else None
        ),
    )
    try:
        sign_in(page, f"1360077{secrets.randbelow(10**4):04d}")
        page.set_input_files("#photo-input", str(photo_file(tmp_path)))
        page.wait_for_selector("#photos .photo img")
        page.click("#locate-btn")
        expect(page.locator("#place")).to_contain_text("塘厦镇")
        page.fill("#desc", "路口有人摆摊卖菜占道")
        page.click("#cats .cat[data-code='street_vending']")
        page.click("#submit-btn")
        page.wait_for_selector("#view-result:not([hidden])")
        number = page.text_content("#result-number") or ""
        device = page.evaluate("() => localStorage.getItem('urbanops.device')")
        assert device and sent == [device]
        with Session(engine) as s:
            case = s.scalars(select(Case).where(Case.number == number)).one()
            report_id = s.scalars(select(Report.id).where(Report.case_id == case.id)).one()
            origin = s.get(ReportOrigin, report_id)
            assert origin is not None and origin.device_hash and device not in origin.device_hash
        project_all()
        page.goto("/api/v1/citizen/rewards")
        mine = json.loads(page.text_content("body") or "{}")
        assert mine["pending"] == get_settings().rewards.points_per_case
        assert mine["available"] == 0 and len(mine["share_code"]) == 8
    finally:
        ctx.close()
