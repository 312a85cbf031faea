"""The field app (/field) on a 390×844 phone: a citizen's report, auto-dispatched to the town
branch, is started and finished by its handler with before and after photos, verified on site
by an inspector, and the citizen sees the after photo in /m/ and rates it; actions taken
without network wait in the outbox and are sent once, even when an answer is lost."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from urbanops.areas.models import Unit
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import OPEN_STATUSES
from urbanops.core.clock import utcnow
from urbanops.core.geo import wgs84_to_gcj02
from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from ..factories import discard_case
from .conftest import PASSWORD
from .test_citizen_app import photo_file, report, sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")
PHONE_AT = {"latitude": 22.8006, "longitude": 114.0719}  # the `phone` fixture's position
TANGXIA = {"latitude": 22.8006, "longitude": 114.0719}  # where the citizen reports from


@pytest.fixture(scope="module")
def accounts(engine: Engine) -> dict[str, str]:
    """A handler of 塘厦城管分局 and an inspector (committed), by role."""
    suffix = uuid.uuid4().hex[:6]
    specs = {
        "handler": ([Role.handler], "branch_441900116"),
        "inspector": ([Role.inspector], None),
    }
    names = {}
    with sessionmaker(engine).begin() as s:
        for role, (roles, unit_code) in specs.items():
            unit_id = s.scalar(select(Unit.id).where(Unit.code == unit_code)) if unit_code else None
            names[role] = f"f_{role}_{suffix}"
            identity.create_user(
                s,
                username=names[role],
                password=PASSWORD,
                display_name=f"{role} {suffix}",
                roles=roles,
                unit_id=unit_id,
            )
    return names


def headers(live_server: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A second phone (the staff's), 390×844, ~300 m from the spot; service workers blocked so
    that the test sees every request the page makes."""
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"latitude": 22.8033, "longitude": 114.0719},
        permissions=["geolocation"],
        base_url=live_server,
        service_workers="block",
    )
    yield ctx
    ctx.close()


def field_sign_in(ctx: BrowserContext, username: str, shot: str | None = None) -> Page:
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/field")
    page.wait_for_selector("#view-login:not([hidden])")
    if shot:
        page.screenshot(path=str(SHOTS / shot))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#view-list:not([hidden])")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def task(page: Page, number: str) -> None:
    page.click(f"#tasks li:has-text('{number}')")
    page.wait_for_selector("#view-task:not([hidden])")


def retire_open_cases_at_the_phone(engine: Engine) -> None:
    """Earlier tests' open cases where the phone stands would take this report in as a
    duplicate: they are retired first, so that the report opens its own case."""
    with sessionmaker(engine).begin() as s:
        here = s.scalars(
            select(Case.id).where(
                Case.status.in_([str(st) for st in OPEN_STATUSES]),
                func.abs(Case.lat - PHONE_AT["latitude"]) < 0.002,
                func.abs(Case.lon - PHONE_AT["longitude"]) < 0.002,
            )
        ).all()
        if here:
            discard_case(s, *here, now=utcnow())


def case_row(engine: Engine, number: str) -> Case:
    with sessionmaker(engine, expire_on_commit=False)() as s:
        return s.scalars(select(Case).where(Case.number == number)).one()


def events(engine: Engine, case_id: int, action: str) -> list[CaseEvent]:
    with sessionmaker(engine, expire_on_commit=False)() as s:
        return list(
            s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == action)
            )
        )


def test_report_handled_on_the_phone_verified_closed_and_rated(
    phone_page: Page,
    phone: BrowserContext,
    tmp_path: Path,
    engine: Engine,
    live_server: str,
    accounts: dict[str, str],
) -> None:
    SHOTS.mkdir(exist_ok=True)
    retire_open_cases_at_the_phone(engine)
    sign_in(phone_page, "13600000091")
    number = report(phone_page, tmp_path, "人行道上有人摆摊卖水果，占了半条路")
    assert phone_page.text_content("#result-unit") == "塘厦城管分局"  # dispatched at intake
    case = case_row(engine, number)

    # the handler's tasks: the case with its countdown and distance, sorted by deadline
    handler = field_sign_in(phone, accounts["handler"], shot="field-login.png")
    item = handler.locator(f"#tasks li:has-text('{number}')")
    expect(item.locator(".due")).to_contain_text("剩余")
    expect(item.locator(".dist")).to_have_text("300 米")
    handler.screenshot(path=str(SHOTS / "field-tasks.png"), full_page=True)

    task(handler, number)
    expect(handler.locator("#task-status")).to_have_text("已派遣")
    expect(handler.locator("#task-description")).to_have_text("人行道上有人摆摊卖水果，占了半条路")
    expect(handler.locator("#citizen-photos img")).to_have_count(1)
    # navigation: geo: in WGS-84 as stored, 高德 in GCJ-02 (lon,lat)
    geo = handler.get_attribute("#nav [data-app=nav_geo]", "href") or ""
    assert geo == f"geo:{case.lat:.6f},{case.lon:.6f}"
    glat, glon = wgs84_to_gcj02(case.lat, case.lon)
    amap = handler.get_attribute("#nav [data-app=nav_amap]", "href") or ""
    assert amap.startswith(f"https://uri.amap.com/marker?position={glon:.6f},{glat:.6f}")
    baidu = handler.get_attribute("#nav [data-app=nav_baidu]", "href") or ""
    assert baidu.startswith("https://api.map.baidu.com/marker?location=") and "output=html" in baidu
    handler.screenshot(path=str(SHOTS / "field-task.png"), full_page=True)

    handler.click("#actions [data-action=start]")
    expect(handler.locator("#task-status")).to_have_text("处置中")
    handler.click("#actions [data-action=submit_result]")
    form = handler.locator("form[data-form=submit_result]")
    form.locator("textarea[name=note]").fill("已劝离摊贩，路面清扫干净")
    before, after = photo_file(tmp_path), tmp_path / "after.jpg"
    after.write_bytes(before.read_bytes()[:-2] + b"\xff\xd9")
    form.locator("input[name=before_photos]").set_input_files(str(before))
    form.locator("input[name=photos]").set_input_files(str(after))
    expect(form.locator("[data-photos=photos] img")).to_have_count(1)
    handler.screenshot(path=str(SHOTS / "field-submit.png"), full_page=True)
    form.locator("button.primary").click()
    expect(handler.locator("#task-status")).to_have_text("待核查")
    expect(handler.locator("#handler-after img")).to_have_count(1)
    expect(handler.locator("#handler-before img")).to_have_count(1)
    assert handler.errors == []  # type: ignore[attr-defined]

    # the inspector verifies on site, with a photo of their own
    inspector = field_sign_in(phone, accounts["inspector"])
    expect(inspector.locator("#tabs button.on")).to_have_text("核查任务")
    task(inspector, number)
    expect(inspector.locator("#handler-after img")).to_have_count(1)
    inspector.screenshot(path=str(SHOTS / "field-verify.png"), full_page=True)
    inspector.click("#actions [data-action=verify]")
    verify = inspector.locator("form[data-form=verify]")
    verify.locator("textarea[name=note]").fill("现场已恢复")
    verify.locator("input[name=photos]").set_input_files(str(photo_file(tmp_path)))
    verify.locator("button.primary").click()
    expect(inspector.locator("#task-status")).to_have_text("已结案")
    assert inspector.errors == []  # type: ignore[attr-defined]
    assert case_row(engine, number).status == "closed"

    # the citizen sees the handler's after photo under 处置后 and rates the case
    result = events(engine, case.id, "submit_result")[0]
    after_id = result.attachments[0]
    assert result.data["before_photos"] != [after_id]
    phone_page.click("#view-result [data-go=mine]")
    phone_page.click(f"#mine-list li:has-text('{number}')")
    phone_page.wait_for_selector("#view-case:not([hidden])")
    expect(phone_page.locator("#case-status")).to_have_text("已结案")
    expect(phone_page.locator(f"#case-after a[href='/media/{after_id}.jpg']")).to_have_count(1)
    phone_page.screenshot(path=str(SHOTS / "field-citizen-after.png"), full_page=True)
    phone_page.click("#stars [data-star='5']")
    phone_page.click("#rate-btn")
    phone_page.wait_for_selector("#rated:not([hidden])")
    assert case_row(engine, number).rating == 5


def test_actions_taken_offline_wait_and_are_sent_once(
    phone_page: Page,
    phone: BrowserContext,
    tmp_path: Path,
    engine: Engine,
    live_server: str,
    accounts: dict[str, str],
) -> None:
    SHOTS.mkdir(exist_ok=True)
    sign_in(phone_page, "13600000092")
    number = report(phone_page, tmp_path, "路边堆放建筑垃圾无人清理")
    case = case_row(engine, number)
    handler = field_sign_in(phone, accounts["handler"])
    task(handler, number)

    phone.set_offline(True)
    handler.click("#actions [data-action=start]")
    expect(handler.locator("#pending")).to_have_text("待发送 1")
    expect(handler.locator("#task-status")).to_have_text("处置中")  # as it will be
    handler.click("#actions [data-action=submit_result]")
    form = handler.locator("form[data-form=submit_result]")
    form.locator("textarea[name=note]").fill("已清运")
    form.locator("input[name=photos]").set_input_files(str(photo_file(tmp_path)))
    form.locator("button.primary").click()
    expect(handler.locator("#pending")).to_have_text("待发送 2")
    expect(handler.locator("#net")).to_be_visible()
    handler.screenshot(path=str(SHOTS / "field-offline.png"), full_page=True)
    handler.click("#back")
    expect(handler.locator("#outbox-list li")).to_have_count(2)
    handler.screenshot(path=str(SHOTS / "field-outbox.png"), full_page=True)
    assert case_row(engine, number).status == "dispatched"  # nothing has left the phone

    # back online, the answer to the first send of "start" is lost on the way back: the outbox
    # sends it again with the same key, and the server answers without starting it twice
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if not lost:
            route.fetch()  # the server takes it...
            lost.append(route.request.headers["idempotency-key"])
            route.abort()  # ...and the phone never hears
        else:
            route.continue_()

    handler.route("**/api/v1/cases/*/actions/start", lose_first_answer)
    phone.set_offline(False)
    expect(handler.locator("#pending")).to_be_hidden(timeout=20000)
    assert lost, "the first answer was lost"
    row = case_row(engine, number)
    assert row.status == "awaiting_verification"
    assert len(events(engine, case.id, "start")) == 1
    results = events(engine, case.id, "submit_result")
    assert len(results) == 1 and len(results[0].attachments) == 1
    with sessionmaker(engine)() as s:
        from urbanops.cases.models import ActionRequest

        assert s.scalar(select(func.count()).where(ActionRequest.case_id == case.id)) == 2
    expect(handler.locator(f"#tasks li:has-text('{number}')")).to_have_count(0)
    assert handler.errors == []  # type: ignore[attr-defined]


def test_area_chief_sees_the_communities_cases_read_only(
    phone_page: Page,
    phone: BrowserContext,
    tmp_path: Path,
    engine: Engine,
) -> None:
    SHOTS.mkdir(exist_ok=True)
    sign_in(phone_page, "13600000093")
    number = report(phone_page, tmp_path, "小区门口有人占道摆摊卖菜")
    case = case_row(engine, number)
    assert case.grid_cell_code is not None
    username = f"f_chief_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:  # a 片长 whose patch is the case's grid cell
        identity.create_user(
            s,
            username=username,
            password=PASSWORD,
            display_name="片长",
            roles=[Role.area_chief],
            grid_cells=[case.grid_cell_code],
        )
    chief = field_sign_in(phone, username)
    expect(chief.locator("#tabs button.on")).to_have_text("片区案件")
    chief.screenshot(path=str(SHOTS / "field-area.png"), full_page=True)
    task(chief, number)
    expect(chief.locator("#actions")).to_contain_text("只读")
    expect(chief.locator("#actions [data-action]")).to_have_count(0)
    expect(chief.locator("#nav [data-app=nav_amap]")).to_have_count(1)
    chief.click("#lang")
    expect(chief.locator("#back")).to_have_text("‹ Back to tasks")
    chief.screenshot(path=str(SHOTS / "field-area-case-en.png"), full_page=True)
    chief.set_viewport_size({"width": 1440, "height": 900})  # usable on a desktop too
    chief.click("#back")
    expect(chief.locator(f"#tasks li:has-text('{number}')")).to_be_visible()
    chief.screenshot(path=str(SHOTS / "field-desktop-en.png"))
    assert chief.errors == []  # type: ignore[attr-defined]


def test_an_extension_request_asks_for_its_reason_and_a_return_sends_the_case_back(
    phone_page: Page,
    phone: BrowserContext,
    tmp_path: Path,
    engine: Engine,
    accounts: dict[str, str],
) -> None:
    SHOTS.mkdir(exist_ok=True)
    sign_in(phone_page, "13600000094")
    number = report(phone_page, tmp_path, "商铺门口有人摆摊卖小吃")
    case = case_row(engine, number)
    handler = field_sign_in(phone, accounts["handler"])
    task(handler, number)

    handler.click("#actions [data-action=request_extension]")
    extension = handler.locator("form[data-form=request_extension]")
    extension.locator("input[name=amount]").fill("2")
    extension.locator("button.primary").click()  # no reason: named under its field
    expect(extension.locator("[data-field=reason] .error")).to_have_text("请填写延期理由")
    extension.locator("textarea[name=reason]").fill("需协调市场监管部门联合处置")
    handler.screenshot(path=str(SHOTS / "field-extension.png"), full_page=True)
    extension.locator("button.primary").click()
    expect(handler.locator("#toast")).to_contain_text("申请延期")
    requested = events(engine, case.id, "request_extension")
    assert len(requested) == 1 and requested[0].data["amount"] == 2

    handler.click("#actions [data-action=return]")
    back = handler.locator("form[data-form=return]")
    back.locator("textarea[name=reason]").fill("属于市场监管部门职责")
    back.locator("button.primary").click()
    expect(handler.locator("#task-status")).to_have_text("已退回")
    expect(handler.locator("#actions [data-action]")).to_have_count(0)
    assert case_row(engine, number).status == "returned"
    assert handler.errors == []  # type: ignore[attr-defined]


def test_the_task_list_and_an_opened_case_show_without_network(
    phone_page: Page, engine: Engine, live_server: str, accounts: dict[str, str]
) -> None:
    """Opened once with network, the app opens again without any (its service worker keeps the
    shell): the task list as last read, and a case opened then, each under the line saying
    they are offline and as of when."""
    SHOTS.mkdir(exist_ok=True)
    retire_open_cases_at_the_phone(engine)
    r = httpx.post(
        f"{live_server}/api/v1/reports",
        headers=headers(live_server, accounts["inspector"]),
        json={
            **{"lat": 22.8006, "lon": 114.0719},
            "matter_code": "06036",
            "description": "井盖缺失",
        },
    )
    assert r.status_code in (200, 201), r.text
    with sessionmaker(engine)() as s:
        number = s.scalar(select(Case.number).where(Case.id == r.json()["case_id"]))
    page = phone_page
    page.goto("/field/")
    page.wait_for_selector("#view-login:not([hidden])")
    page.fill("#username", accounts["handler"])
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#view-list:not([hidden])")
    expect(page.locator("#list-as-of")).to_be_hidden()
    task(page, str(number))
    expect(page.locator("#task-description")).to_have_text("井盖缺失")
    expect(page.locator("#task-as-of")).to_be_hidden()
    page.click("#back")
    controlled = page.evaluate(
        """navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller
          || new Promise((resolve) => navigator.serviceWorker.addEventListener(
               "controllerchange", resolve))).then(() => true)"""
    )
    assert controlled is True

    page.context.set_offline(True)
    try:
        page.reload()
        page.wait_for_selector("#view-list:not([hidden])")
        expect(page.locator(f"#tasks li:has-text('{number}')")).to_have_count(1)
        expect(page.locator("#list-as-of")).to_be_visible()
        expect(page.locator("#list-as-of")).to_have_text(re.compile(r"^离线，数据截至 \d\d:\d\d$"))
        page.screenshot(path=str(SHOTS / "field-offline-list.png"), full_page=True)
        task(page, str(number))
        expect(page.locator("#task-description")).to_have_text("井盖缺失")
        # the case's own detail, kept when it was opened (the list's rows hold no timeline)
        expect(page.locator("#task ul.timeline li").first).to_be_visible()
        expect(page.locator("#task-as-of")).to_have_text(re.compile(r"^离线，数据截至 \d\d:\d\d$"))
        page.screenshot(path=str(SHOTS / "field-offline-case.png"), full_page=True)
    finally:
        page.context.set_offline(False)
    # with network again, the list is the server's and the line goes
    page.click("#back")
    expect(page.locator("#list-as-of")).to_be_hidden()
    # signing out forgets what the phone kept
    page.click("#logout")
    page.wait_for_selector("#view-login:not([hidden])")
    left = page.evaluate(
        """new Promise((resolve) => { const r = indexedDB.open("urbanops-field-kept", 1);
          r.onsuccess = () => { const q = r.result.transaction("kept").objectStore("kept")
            .count(); q.onsuccess = () => resolve(q.result); }; })"""
    )
    assert left == 0
