"""The citizen's boards (排行榜) in a real browser on a phone-sized screen: the all-time city
board with the citizen on it, the week and town boards, and the switch that keeps them off
every board. Commits to the test database: the citizen (a fresh phone number) gets a score far
above any other test's, so where they stand does not depend on other rows."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from urbanops.core.clock import utcnow
from urbanops.identity.citizens import normalise_phone
from urbanops.identity.models import Citizen
from urbanops.rewards import ledger

from .test_citizen_app import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def test_the_boards_show_me_and_the_switch_keeps_me_off(phone_page: Page, engine: Engine) -> None:
    page = phone_page
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    nickname = f"街坊{uuid.uuid4().hex[:4]}"
    sign_in(page, phone)
    with sessionmaker(engine).begin() as s:
        person = s.scalar(select(Citizen).where(Citizen.phone == normalise_phone(phone)))
        assert person is not None
        person.nickname = nickname
        ledger.post(
            s, citizen_id=person.id, kind="assist", key=f"browser:board:{uuid.uuid4().hex}",
            now=utcnow(), reason="测试助攻", ref_type="assist", ref_id=person.id,
            available=5_000_000,
        )  # fmt: skip

    page.click("#tabs [data-tab=rewards]")
    page.click("#rewards-nav [data-go=boards]")
    page.wait_for_selector("#view-boards:not([hidden])")
    page.click("#board-period [data-period=all]")
    mine = page.locator("#board-list li.me")
    expect(mine).to_contain_text(nickname)
    expect(mine.locator(".score")).to_have_text("5000000")
    rank = mine.locator(".rank").inner_text()
    expect(page.locator("#board-me")).to_contain_text("第 1 名")
    assert rank == "🥇"
    expect(page.locator("#board-title")).to_have_text("总榜 · 全市")
    expect(page.locator("#board-listed")).to_be_checked()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "m-boards.png"), full_page=True)

    page.click("#board-period [data-period=week]")
    expect(page.locator("#board-title")).to_contain_text("周榜 · 全市 · 第")
    expect(page.locator("#board-list li.me")).to_contain_text(nickname)

    # off the boards: gone from the list, "me" says so, the server keeps the choice
    page.locator("#board-listed").click()
    expect(page.locator("#board-me")).to_contain_text("未上榜")
    expect(page.locator("#board-list")).not_to_contain_text(nickname)
    expect(page.locator("#board-listed")).not_to_be_checked()
    page.screenshot(path=str(SHOTS / "m-boards-off.png"), full_page=True)
    answer = page.request.get("/api/v1/citizen/boards/preference")
    assert answer.json() == {"listed": False}
    page.reload()
    page.wait_for_selector("#view-boards:not([hidden])")
    expect(page.locator("#board-listed")).not_to_be_checked()

    page.locator("#board-listed").click()
    expect(page.locator("#board-list li.me")).to_contain_text(nickname)
    assert page.request.get("/api/v1/citizen/boards/preference").json() == {"listed": True}

    # a town board: the citizen has no home town and no town's points, so the page asks for one
    page.click("#board-scope [data-scope=town]")
    expect(page.locator("#boards-state")).to_contain_text("请选择镇街")
    page.select_option("#board-town", label="东城街道")
    expect(page.locator("#board-title")).to_contain_text("东城街道")
    expect(page.locator("#board-me")).to_contain_text("暂未上榜")
    page.screenshot(path=str(SHOTS / "m-boards-town.png"), full_page=True)
