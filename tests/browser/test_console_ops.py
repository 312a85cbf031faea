"""The command centre console doing its work in a real browser, at a desktop's size
(1440×900) and a phone's (390×844): a report that needs a clerk appears in the triage queue
live (no reload) and is dispatched with its matter picked by name; a returned case is
redispatched; a pending extension is approved; a case is merged into another by its case
number. Screenshots of each screen go to /tmp/console-shots."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from tests.browser.conftest import PASSWORD
from tests.browser.test_console import bearer, staff
from tests.factories import DONGCHENG, discard_case, report_case
from urbanops.cases.workflow import REGISTRY, STATUSES, CaseAction, CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity import service as identity
from urbanops.identity.roles import Role

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/console-shots")
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
A, S = CaseAction, CaseStatus


def label(action: CaseAction) -> str:
    return REGISTRY[action].label_zh


def status_label(status: CaseStatus) -> str:
    return STATUSES[status].label_zh


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def account(engine: Engine, *roles: Role, unit_id: int | None = None) -> str:
    """A committed staff account with `roles`; its username."""
    name = f"ops_{random.randrange(16**8):08x}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s,
            username=name,
            password=PASSWORD,
            display_name="测试账号",
            roles=list(roles),
            unit_id=unit_id,
        )
    return name


def open_page(browser: Browser, live_server: str, viewport: ViewportSize) -> Page:
    mobile = viewport["width"] < 500
    return browser.new_page(
        viewport=viewport,
        base_url=live_server,
        locale="zh-CN",
        is_mobile=mobile,
        has_touch=mobile,
    )


@pytest.fixture
def pages(browser: Browser, live_server: str) -> Iterator[Callable[[ViewportSize], Page]]:
    """`open(viewport)`: a page in the console's language; no JavaScript error on any."""
    opened: list[Page] = []
    errors: list[str] = []

    def make(viewport: ViewportSize) -> Page:
        page = open_page(browser, live_server, viewport)
        page.on("pageerror", lambda e: errors.append(str(e)))
        opened.append(page)
        return page

    yield make
    for page in opened:
        page.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def cases(engine: Engine) -> Iterator[Callable[..., dict[str, Any]]]:
    """`make(text, where=…)`: a committed report that waits in triage (no matter); its number
    and id. Discarded afterwards, with every case the test made through `track`."""
    maker = sessionmaker(engine, expire_on_commit=False)
    made: list[int] = []

    def make(text: str = "", where: tuple[float, float] | None = None) -> dict[str, Any]:
        where = where or (
            DONGCHENG[0] + random.uniform(-4e-3, 4e-3),
            DONGCHENG[1] + random.uniform(-4e-3, 4e-3),
        )
        with maker.begin() as s:
            case = report_case(s, now=utcnow(), where=where, matter_code=None).case
            case.description = text
        assert case.status == S.reported
        made.append(case.id)
        return {"id": case.id, "number": case.number, "lat": where[0], "lon": where[1]}

    make.track = made.append  # type: ignore[attr-defined]
    yield make
    with maker.begin() as s:
        discard_case(s, *made, now=utcnow())


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


def take(page: Page, action: CaseAction) -> None:
    """Open the form of `action` on the case shown and send it as it is."""
    page.click(f"#detail [data-act={action}]")
    page.locator(f"#act-form form[data-form={action}] button.primary").click()


def dispatched_case(live_server: str, headers: dict[str, str]) -> dict[str, Any]:
    """A report the platform dispatches at once (乱堆杂物 in 厚街); its detail."""
    lat, lon = 22.92 + random.uniform(-4e-3, 4e-3), 113.69 + random.uniform(-4e-3, 4e-3)
    r = httpx.post(
        f"{live_server}/api/v1/reports",
        headers=headers,
        json={"lat": lat, "lon": lon, "matter_code": "06036", "description": "楼下乱堆杂物"},
    )
    assert r.status_code in (200, 201), r.text
    detail = httpx.get(f"{live_server}/api/v1/cases/{r.json()['case_id']}", headers=headers)
    assert detail.json()["status"] == "dispatched", detail.text
    return dict(detail.json())


def test_a_report_appears_live_in_triage_and_is_dispatched_by_matter_name(
    pages: Callable[[ViewportSize], Page], engine: Engine, cases: Callable[..., dict[str, Any]]
) -> None:
    clerk = account(engine, Role.intake_clerk, Role.dispatcher)
    page = pages(DESKTOP)
    sign_in(page, clerk)
    # the header names the roles in words, not codes
    who = page.locator("#who")
    expect(who).to_contain_text("受理员")
    expect(who).to_contain_text("派遣员")
    expect(who).not_to_contain_text("intake_clerk")
    expect(page.locator("#live")).to_have_text("实时")
    shot(page, "desktop-console")

    case = cases("小区门口垃圾堆了好几天没人清理，气味很大")
    committed = time.monotonic()
    item = page.locator(f"#triage-list li[data-number='{case['number']}']")
    item.wait_for(timeout=3000)
    seen = time.monotonic() - committed
    assert seen < 1.0, f"on screen {seen:.2f} s after its commit"
    expect(item).to_have_class(re.compile(r"\bfresh\b"))
    shot(page, "desktop-triage-live")

    item.click()
    expect(page.locator("#detail h3")).to_contain_text(case["number"])
    page.click(f"#detail [data-act={A.accept}]")
    form = page.locator(f"#act-form form[data-form={A.accept}]")
    form.locator(".matter-q").fill("垃圾满溢")
    choice = form.locator(".matter-results li[data-code='06042']")
    expect(choice).to_contain_text("垃圾站（箱）满溢")
    shot(page, "desktop-matter-picker")
    choice.click()
    expect(form.locator("input[name=matter_code]")).to_have_value("06042")
    form.locator("button.primary").click()
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.accepted))
    # it left the queue, here and in every clerk's console
    expect(item).to_have_count(0)
    take(page, A.register)
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.registered))
    take(page, A.dispatch)  # the unit by the responsibility matrix
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.dispatched))
    expect(page.locator("#detail dl")).to_contain_text("东城城管分局")
    expect(page.locator("#detail dd.due [data-due]")).to_contain_text("剩余")
    expect(page.locator("#detail ol.tl")).to_contain_text(label(A.dispatch))
    shot(page, "desktop-dispatched")

    # the map shows the open cases over the town outlines
    page.click("#tab-map")
    expect(page.locator("#map .leaflet-interactive").first).to_be_attached()
    page.wait_for_timeout(800)
    shot(page, "desktop-map")


def test_a_returned_case_is_redispatched_on_a_phone(
    pages: Callable[[ViewportSize], Page],
    engine: Engine,
    live_server: str,
    cases: Callable[..., dict[str, Any]],
) -> None:
    chief = staff(engine, live_server, Role.shift_chief)
    case = dispatched_case(live_server, bearer(live_server, chief))
    cases.track(case["id"])  # type: ignore[attr-defined]
    handler = staff(engine, live_server, Role.handler, unit_id=case["unit_id"])
    r = httpx.post(
        f"{live_server}/api/v1/cases/{case['id']}/actions/return",
        json={"reason": "不属于本单位职责"},
        headers=bearer(live_server, handler),
    )
    assert r.status_code == 200 and r.json()["status"] == "returned", r.text
    dispatcher = account(engine, Role.dispatcher)
    page = pages(PHONE)
    sign_in(page, dispatcher)
    # nothing wider than the phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"
    shot(page, "phone-console")
    page.select_option("#f-status", str(S.returned))
    open_case(page, case["number"])
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.returned))
    expect(page.locator("#detail ol.tl")).to_contain_text("不属于本单位职责")
    page.click(f"#detail [data-act={A.redispatch}]")
    form = page.locator(f"#act-form form[data-form={A.redispatch}]")
    form.locator("select[name=unit_id]").select_option(label="虎门城管分局")
    # a reply template goes into the note
    chip = form.locator("[data-templates=note] button", has_text="改派说明")
    chip.click()
    expect(form.locator("textarea[name=note]")).to_have_value(re.compile("重新派遣"))
    form.locator("[data-field=unit_id]").scroll_into_view_if_needed()
    shot(page, "phone-redispatch-form")
    form.locator("button.primary").click()
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.dispatched))
    expect(page.locator("#detail dl")).to_contain_text("虎门城管分局")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"
    shot(page, "phone-redispatched")


def test_a_pending_extension_is_approved(
    pages: Callable[[ViewportSize], Page],
    engine: Engine,
    live_server: str,
    cases: Callable[..., dict[str, Any]],
) -> None:
    chief = staff(engine, live_server, Role.shift_chief)
    case = dispatched_case(live_server, bearer(live_server, chief))
    cases.track(case["id"])  # type: ignore[attr-defined]
    dispatcher = account(engine, Role.dispatcher)
    page = pages(DESKTOP)
    sign_in(page, dispatcher)
    open_case(page, case["number"])
    # nothing pending: no decision offered
    expect(page.locator(f"#detail [data-act={A.urge}]")).to_be_visible()
    expect(page.locator(f"#detail [data-act={A.approve_extension}]")).to_have_count(0)

    handler = staff(engine, live_server, Role.handler, unit_id=case["unit_id"])
    r = httpx.post(
        f"{live_server}/api/v1/cases/{case['id']}/actions/request_extension",
        json={"amount": 2, "unit": "working_days", "reason": "需要协调供电部门"},
        headers=bearer(live_server, handler),
    )
    assert r.status_code == 200, r.text
    due_before = r.json()["due_at"]
    open_case(page, case["number"])
    expect(page.locator("#detail [data-fact=pending_extension]")).to_contain_text(
        "需要协调供电部门"
    )
    expect(page.locator(f"#detail [data-act={A.reject_extension}]")).to_be_visible()
    shot(page, "desktop-extension-pending")
    page.click(f"#detail [data-act={A.approve_extension}]")
    form = page.locator(f"#act-form form[data-form={A.approve_extension}]")
    form.locator("textarea[name=note]").fill("同意延期两个工作日")
    form.locator("button.primary").click()
    expect(page.locator("#detail ol.tl")).to_contain_text(label(A.approve_extension))
    expect(page.locator("#detail ol.tl")).to_contain_text("同意延期两个工作日")
    expect(page.locator(f"#detail [data-act={A.approve_extension}]")).to_have_count(0)
    expect(page.locator("#detail [data-fact=pending_extension]")).to_have_count(0)
    after = httpx.get(
        f"{live_server}/api/v1/cases/{case['id']}", headers=bearer(live_server, dispatcher)
    ).json()
    assert after["due_at"] > due_before
    shot(page, "desktop-extension-approved")


def test_a_case_is_merged_by_its_number(
    pages: Callable[[ViewportSize], Page], engine: Engine, cases: Callable[..., dict[str, Any]]
) -> None:
    first = cases("路边井盖松动")
    dup = cases("这里的井盖松了", where=(first["lat"] + 0.0004, first["lon"]))  # ~45 m
    clerk = account(engine, Role.intake_clerk)
    page = pages(DESKTOP)
    sign_in(page, clerk)
    open_case(page, dup["number"])
    page.click(f"#detail [data-act={A.merge}]")
    form = page.locator(f"#act-form form[data-form={A.merge}]")
    # the case nearby is offered by its number and distance
    candidate = form.locator(f"button.cand[data-number='{first['number']}']")
    expect(candidate).to_contain_text("米")
    shot(page, "desktop-merge-candidates")
    # a number that is no case is refused in words, and nothing changes
    form.locator("input[name=into_number]").fill("20990101999999")
    form.locator("button.primary").click()
    expect(page.locator("#act-err")).to_have_text("案件编号 20990101999999 不存在")
    candidate.click()
    expect(form.locator("input[name=into_number]")).to_have_value(first["number"])
    form.locator("button.primary").click()
    expect(page.locator("#detail h3 .badge").first).to_have_text(status_label(S.merged))
    expect(page.locator("#detail ol.tl")).to_contain_text(label(A.merge))
    shot(page, "desktop-merged")
    open_case(page, first["number"])
    expect(page.locator("#detail ol.tl")).to_contain_text(label(A.support))


def test_selected_cases_are_dispatched_together(
    pages: Callable[[ViewportSize], Page],
    engine: Engine,
    live_server: str,
    cases: Callable[..., dict[str, Any]],
) -> None:
    chief = account(engine, Role.shift_chief)
    auth = bearer(live_server, chief)
    made = [cases("垃圾桶满了"), cases("垃圾箱溢出来了")]
    for c in made:
        for action, body in ((A.accept, {"matter_code": "06042"}), (A.register, {})):
            r = httpx.post(
                f"{live_server}/api/v1/cases/{c['id']}/actions/{action}", json=body, headers=auth
            )
            assert r.status_code == 200, r.text
    page = pages(DESKTOP)
    sign_in(page, chief)
    page.select_option("#f-status", str(S.registered))
    page.click("#refresh")
    for c in made:
        page.check(f"#rows tr:has-text('{c['number']}') input[data-pick]")
    expect(page.locator("#bulk-count")).to_have_text("已选 2 件")
    shot(page, "desktop-bulk")
    page.click("#bulk-go")
    expect(page.locator("#bulk-msg")).to_have_text("已派遣 2 件，失败 0 件")
    for c in made:
        got = httpx.get(f"{live_server}/api/v1/cases/{c['id']}", headers=auth).json()
        assert got["status"] == "dispatched" and got["unit_name"] == "东城城管分局", got
