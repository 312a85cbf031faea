"""The command centre console in a real browser: sign in, find a case, act on it. The status
filter, the labels, the buttons and each action's form come from the action registry
(GET /api/v1/workflow) and the case's `allowed_actions`, not from the page's script."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from urbanops.cases.workflow import REGISTRY, STATUSES, CaseAction, CaseStatus
from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


def staff(engine: Engine, live_server: str, role: Role, unit_id: int | None = None) -> str:
    """A committed staff account with `role`; returns its username."""
    name = f"{role.value}_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s,
            username=name,
            password=PASSWORD,
            display_name=f"{role.value} 测试",
            roles=[role],
            unit_id=unit_id,
        )
    return name


def bearer(live_server: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def new_case(live_server: str, headers: dict[str, str], lat: float, lon: float) -> dict[str, Any]:
    """A report at the place (厚街镇) that the platform dispatches at once; the case's detail."""
    r = httpx.post(
        f"{live_server}/api/v1/reports",
        headers=headers,
        json={"lat": lat, "lon": lon, "matter_code": "06036", "description": "楼下乱堆杂物"},
    )
    assert r.status_code in (200, 201), r.text
    detail = httpx.get(f"{live_server}/api/v1/cases/{r.json()['case_id']}", headers=headers)
    return dict(detail.json())


@pytest.fixture
def console(browser: Browser, live_server: str) -> Iterator[Page]:
    page = browser.new_page(
        viewport={"width": 1366, "height": 800}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def sign_in(page: Page, username: str) -> None:
    page.goto("/console")
    page.fill("#u", username)
    page.fill("#p", PASSWORD)
    page.click("#login button")
    expect(page.locator("#work")).to_be_visible()


def open_case(page: Page, number: str) -> None:
    page.fill("#f-number", number)
    page.click("#refresh")
    page.click(f"#rows tr:has-text('{number}')")
    expect(page.locator("#detail h3")).to_contain_text(number)


def test_chief_signs_in_and_urges_a_case(console: Page, live_server: str, engine: Engine) -> None:
    chief = staff(engine, live_server, Role.shift_chief)
    case = new_case(live_server, bearer(live_server, chief), 22.9195, 113.6956)
    page = console
    page.goto("/console")
    page.fill("#u", chief)
    page.fill("#p", "wrong-password")
    page.click("#login button")
    page.wait_for_selector("#login-err:not([hidden])")
    assert page.text_content("#login-err") == "用户名或密码错误"
    sign_in(page, chief)

    # the status filter lists the registry's statuses, and the statuses of each stage together
    options = page.locator("#f-status option")
    for spec in STATUSES.values():
        expect(options.filter(has_text=spec.label_zh).first).to_be_attached()
    dispatch_stage = ",".join(s for s, spec in STATUSES.items() if str(spec.stage) == "dispatch")
    page.select_option("#f-status", dispatch_stage)
    page.select_option("#f-status", "")

    open_case(page, case["number"])
    expect(page.locator("#detail dl")).to_contain_text("厚街城管分局")
    status = STATUSES[CaseStatus(case["status"])].label_zh
    expect(page.locator("#detail h3 .badge")).to_have_text(status)
    # one button per action the case allows this caller, named as the registry names it
    shown = page.locator("#detail .actions [data-act]")
    expect(shown).to_have_count(len(case["allowed_actions"]))
    for code in case["allowed_actions"]:
        label = REGISTRY[CaseAction(code)].label_zh
        expect(page.locator(f"#detail [data-act={code}]")).to_have_text(label)
    page.click("#detail [data-act=urge]")
    page.fill("#act-form [name=note]", "请今天内处理")
    page.click("#act-form button.primary")
    expect(page.locator("#detail ol.tl li:has-text('督办')")).to_contain_text("请今天内处理")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-urged.png"))


def test_return_asks_for_a_reason(console: Page, live_server: str, engine: Engine) -> None:
    """ "退回" asks for the reason its registry entry requires: the form is built from the
    registry's fields, refuses to send without it, and the reason lands in the timeline."""
    chief = staff(engine, live_server, Role.shift_chief)
    chief_auth = bearer(live_server, chief)
    case = new_case(live_server, chief_auth, 22.9285, 113.6848)
    assert case["status"] == "dispatched", case
    handler = staff(engine, live_server, Role.handler, unit_id=case["unit_id"])
    page = console
    sign_in(page, handler)
    open_case(page, case["number"])

    spec = REGISTRY[CaseAction.return_]
    reason = next(f for f in spec.fields if f.name == "reason")
    assert reason.required
    page.click("#detail [data-act=return]")
    form = page.locator("#act-form form")
    expect(form.locator("b").first).to_have_text(spec.label_zh)
    field = form.locator("[data-field=reason]")
    expect(field).to_contain_text(reason.label_zh)
    expect(field.locator("textarea[name=reason]")).to_be_visible()
    # the form asks for exactly the registry's fields
    expect(form.locator("[data-field]")).to_have_count(len(spec.fields))

    form.locator("button.primary").click()  # nothing written: the reason is missing
    expect(page.locator("#act-err")).to_have_text(f"请填写：{reason.label_zh}")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-return-form.png"))
    status = httpx.get(f"{live_server}/api/v1/cases/{case['id']}", headers=chief_auth)
    assert status.json()["status"] == "dispatched"

    field.locator("textarea").fill("不属于本单位职责范围")
    form.locator("button.primary").click()
    returned = STATUSES[CaseStatus.returned].label_zh
    expect(page.locator("#detail h3 .badge")).to_have_text(returned)
    expect(page.locator("#detail ol.tl")).to_contain_text(spec.label_zh)
    expect(page.locator("#detail ol.tl")).to_contain_text("不属于本单位职责范围")
    # a handler has nothing left to do on a returned case
    expect(page.locator("#detail .actions [data-act]")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "console-returned.png"))

    # no open case left behind at this place for the next run to join
    r = httpx.post(
        f"{live_server}/api/v1/cases/{case['id']}/actions/void",
        json={"reason": "测试结束"},
        headers=chief_auth,
    )
    assert r.status_code == 200, r.text


def test_extension_form_offers_the_registrys_time_units(
    console: Page, live_server: str, engine: Engine
) -> None:
    chief = staff(engine, live_server, Role.shift_chief)
    chief_auth = bearer(live_server, chief)
    case = new_case(live_server, chief_auth, 22.9150, 113.7010)
    handler = staff(engine, live_server, Role.handler, unit_id=case["unit_id"])
    page = console
    sign_in(page, handler)
    open_case(page, case["number"])
    page.click("#detail [data-act=request_extension]")
    form = page.locator("#act-form form")
    expect(form.locator("input[name=amount][type=number]")).to_be_visible()
    unit = form.locator("select[name=unit] option")
    expect(unit).to_have_count(4)  # blank (the server's default) and the three units of time
    expect(form.locator("select[name=unit]")).to_contain_text("工作日")
    form.locator("[name=amount]").fill("2")
    form.locator("select[name=unit]").select_option("working_days")
    form.locator("[name=reason]").fill("需要协调供电部门")
    form.locator("button.primary").click()
    label = REGISTRY[CaseAction.request_extension].label_zh
    expect(page.locator("#detail ol.tl")).to_contain_text(label)
    expect(page.locator("#detail ol.tl")).to_contain_text("需要协调供电部门")
    # no open case left behind at this place for the next run to join
    for auth, action in [(bearer(live_server, handler), "return"), (chief_auth, "void")]:
        r = httpx.post(
            f"{live_server}/api/v1/cases/{case['id']}/actions/{action}",
            json={"reason": "测试结束"},
            headers=auth,
        )
        assert r.status_code == 200, r.text


def test_saved_views_follow_the_operator_to_another_desk(
    browser: Browser, console: Page, live_server: str, engine: Engine
) -> None:
    """A view saved on one desk opens on another (they are kept on the server); views an older
    console kept in the browser's localStorage are moved to the server once, then cleared."""
    from sqlalchemy import select

    from urbanops.identity.models import User

    chief = staff(engine, live_server, Role.shift_chief)
    with sessionmaker(engine).begin() as s:
        user_id = s.scalar(select(User.id).where(User.username == chief))
    key = f"uo_console_views:{user_id}"
    page = console
    sign_in(page, chief)
    old = {"旧的超期": {"status": "", "overdue": True, "q": "", "sort": "deadline"}}
    page.evaluate("([k, v]) => localStorage.setItem(k, JSON.stringify(v))", [key, old])
    page.reload()
    expect(page.locator("#work")).to_be_visible()
    expect(page.locator("#views option", has_text="旧的超期")).to_be_attached()
    assert page.evaluate("(k) => localStorage.getItem(k)", key) is None

    dispatch_stage = ",".join(s for s, spec in STATUSES.items() if str(spec.stage) == "dispatch")
    page.select_option("#f-status", dispatch_stage)
    page.check("#f-provisional")
    page.once("dialog", lambda d: d.accept("派遣阶段暂定"))
    page.click("#view-save")
    expect(page.locator("#views option", has_text="派遣阶段暂定")).to_be_attached()
    expect(page.locator("#view-msg")).to_have_text("视图已保存")

    desk = browser.new_page(
        viewport={"width": 1366, "height": 800}, base_url=live_server, locale="zh-CN"
    )
    try:
        sign_in(desk, chief)
        expect(desk.locator("#views option", has_text="派遣阶段暂定")).to_be_attached()
        expect(desk.locator("#f-provisional")).not_to_be_checked()
        desk.select_option("#views", label="派遣阶段暂定")
        expect(desk.locator("#f-provisional")).to_be_checked()
        expect(desk.locator("#f-status")).to_have_value(dispatch_stage)
        desk.select_option("#views", label="旧的超期")
        expect(desk.locator("#f-overdue")).to_be_checked()
        expect(desk.locator("#f-provisional")).not_to_be_checked()
        expect(desk.locator("#f-status")).to_have_value("")
        desk.click("#view-drop")
        expect(desk.locator("#views option", has_text="旧的超期")).not_to_be_attached()
    finally:
        desk.close()
    views = httpx.get(f"{live_server}/api/v1/console/views", headers=bearer(live_server, chief))
    assert [v["name"] for v in views.json()] == ["派遣阶段暂定"]
    assert views.json()[0]["filters"]["provisional"] is True
