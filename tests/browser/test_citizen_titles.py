"""The citizen's titles, badges and the honour roll (头衔与勋章) in a real browser on a phone-sized
screen. Commits to the test database: the citizen (a fresh phone number) gets five verified
cases' points last month — far above any other test's — then the awards are given as the
ledger's jobs would give them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from urbanops.core.clock import utcnow
from urbanops.identity.citizens import normalise_phone
from urbanops.identity.models import Citizen
from urbanops.rewards import boards, ledger, titles

from .test_citizen_app import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def test_titles_with_progress_and_the_honour_roll(phone_page: Page, engine: Engine) -> None:
    page = phone_page
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    nickname = f"得分{uuid.uuid4().hex[:4]}"
    run = uuid.uuid4().hex[:8]
    sign_in(page, phone)
    now = utcnow()
    month = titles.previous_month(now)
    last_month = boards.beijing_date(now).replace(day=1) - timedelta(days=10)
    at = now - (boards.beijing_date(now) - last_month)
    with sessionmaker(engine).begin() as s:
        person = s.scalar(select(Citizen).where(Citizen.phone == normalise_phone(phone)))
        assert person is not None
        person.nickname = nickname
        for i in range(5):  # five cases registered and verified: five valid reports
            for kind, pending, available in (("earn", 90_000, 0), ("release", -90_000, 90_000)):
                ledger.post(
                    s, citizen_id=person.id, kind=kind, key=f"browser:{run}:{kind}:{i}", now=at,
                    reason="测试", ref_type="case", ref_id=f"b{run}{i}", pending=pending,
                    available=available,
                )  # fmt: skip
        cid = person.id
    with sessionmaker(engine).begin() as s:
        titles.award_titles(s, citizen_id=cid)
        titles.award_score_kings(s, month=month, now=now)

    page.click("#tabs [data-tab=rewards]")
    page.click("#rewards-nav [data-go=titles]")
    page.wait_for_selector("#view-titles:not([hidden])")
    expect(page.locator("#tt-reports")).to_have_text("5")
    newcomer = page.locator("#title-progress li[data-code=newcomer]")
    expect(newcomer).to_have_class("title got")
    expect(newcomer.locator(".lvl")).to_have_text("已获得")
    badge = page.locator("#title-progress li[data-code=reports]")
    expect(badge.locator(".lvl")).to_have_text("2/5 级")
    expect(badge).to_contain_text("再有 5 件有效上报升到 3 级")
    expect(page.locator("#title-progress li[data-code=assist_king] .lvl")).to_have_text("未获得")
    awards = page.locator("#title-awards")
    expect(awards).to_contain_text("文明新秀")
    expect(awards).to_contain_text("文明得分王")
    expect(awards).to_contain_text("第 1 名")
    expect(awards.locator("li:has-text('文明随手拍勋章')")).to_have_count(1)  # its highest level
    expect(awards.locator("li:has-text('文明随手拍勋章')")).to_contain_text("2 级")
    expect(page.locator("#roll-kings li").first).to_contain_text(nickname)
    expect(page.locator("#roll-month")).to_have_text(f"{int(month[:4])} 年 {int(month[5:])} 月")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "m-titles.png"), full_page=True)

    # offline (the honour roll may still come from the browser's cache): marked as offline
    page.context.set_offline(True)
    page.click("#rewards-nav [data-go=boards]")
    page.click("#rewards-nav [data-go=titles]")
    expect(page.locator("#titles-state")).to_contain_text("离线：显示的是")
    expect(page.locator("#tt-reports")).to_have_text("5")
    page.context.set_offline(False)
