"""The leaders' page in a real browser: a leader signs in, sees a case a shift chief escalated
(who and why), issues a 批示 with a quick phrase, and the case's timeline shows it; the same
page on a phone. Screenshots go to /tmp/shots."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from .conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def account(engine: Engine, role: Role, display_name: str) -> str:
    """A committed staff account with `role` (a city-wide one: no unit); its username."""
    name = f"{role.value}_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s, username=name, password=PASSWORD, display_name=display_name, roles=[role]
        )
    return name


def bearer(live_server: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def escalated_case(live_server: str, chief: dict[str, str], note: str) -> dict[str, object]:
    """A new report in 厚街 (dispatched at once), escalated by the shift chief; its detail.
    Its place is drawn at random, so that it joins no other test's case as a duplicate."""
    draw = random.SystemRandom()  # not reseeded per test, as the module's generator may be
    r = httpx.post(
        f"{live_server}/api/v1/reports",
        headers=chief,
        json={
            "lat": 22.935 + draw.uniform(-0.004, 0.004),
            "lon": 113.672 + draw.uniform(-0.004, 0.004),
            "matter_code": "06036",
            "description": "人行道堆放建筑垃圾",
        },
    )
    assert r.status_code == 201 and r.json()["outcome"] == "dispatched", r.text
    case_id = r.json()["case_id"]
    r = httpx.post(
        f"{live_server}/api/v1/cases/{case_id}/actions/escalate", headers=chief, json={"note": note}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture
def desk(browser: Browser, live_server: str) -> Iterator[Page]:
    page = browser.new_page(
        viewport={"width": 1440, "height": 900}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def sign_in(page: Page, username: str) -> None:
    page.goto("/leader")
    page.fill("#u", username)
    page.fill("#p", PASSWORD)
    page.click("#login button")
    expect(page.locator("#work")).to_be_visible()


def test_a_leader_sees_an_escalated_case_and_instructs_on_it(
    desk: Page, phone_page: Page, live_server: str, engine: Engine
) -> None:
    chief = account(engine, Role.shift_chief, "王值班长")
    leader = account(engine, Role.leader, "李局长")
    case = escalated_case(live_server, bearer(live_server, chief), "群众反映强烈，多次投诉")
    number = str(case["number"])

    page = desk
    sign_in(page, leader)
    expect(page.locator("#who")).to_have_text("李局长（领导）")
    card = page.locator(f"#cases li.case:has-text('{number}')")
    expect(card).to_be_visible()
    expect(card.locator(".badge.act")).to_have_text("提级")
    expect(card.locator(".why")).to_contain_text("王值班长 提级")
    expect(card.locator(".why")).to_contain_text("群众反映强烈，多次投诉")
    expect(page.locator("#n-supervised")).not_to_have_text("0")

    card.locator("[data-instruct]").click()
    card.locator("[data-phrase='请抓紧办理']").click()
    card.locator("[data-phrase='请于今日反馈']").click()
    expect(card.locator("textarea")).to_have_value("请抓紧办理；请于今日反馈")
    card.locator("form.instruct-form button[type=submit]").click()
    expect(card.locator(".msg")).to_have_text("批示已送达，已记入办理过程")
    entry = card.locator("ol.tl li.instruct")
    expect(entry).to_contain_text("批示")
    expect(entry).to_contain_text("请抓紧办理；请于今日反馈")
    expect(entry).to_contain_text("李局长")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "leader-desktop.png"), full_page=True)

    # the case's timeline (as the console reads it) has the instruction, by the leader
    detail = httpx.get(
        f"{live_server}/api/v1/cases/{case['id']}", headers=bearer(live_server, chief)
    ).json()
    last = detail["timeline"][-1]
    assert (last["action"], last["note"], last["actor_label"]) == (
        "instruct",
        "请抓紧办理；请于今日反馈",
        "李局长",
    )

    # English, then the same page on a phone
    page.click("#lang")
    expect(card.locator(".badge.act")).to_have_text("Escalate")
    expect(page.locator("#work h2").first).to_have_text("Urged and escalated cases")
    expect(card.locator(".msg")).to_have_text("Instruction sent and recorded on the timeline")
    page.click("#lang")

    sign_in(phone_page, leader)
    phone_card = phone_page.locator(f"#cases li.case:has-text('{number}')")
    expect(phone_card).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page overflows the phone: {width}px"
    phone_page.screenshot(path=str(SHOTS / "leader-phone.png"), full_page=True)


def test_someone_without_the_leader_role_is_told_so(desk: Page, engine: Engine) -> None:
    chief = account(engine, Role.shift_chief, "值班长")
    desk.goto("/leader")
    desk.fill("#u", chief)
    desk.fill("#p", PASSWORD)
    desk.click("#login button")
    expect(desk.locator("#login-err")).to_have_text("此页面供领导使用；您的账号没有领导角色。")
    expect(desk.locator("#work")).to_be_hidden()
