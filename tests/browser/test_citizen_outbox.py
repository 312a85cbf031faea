"""The citizen app when things go wrong: a report the server refuses after the phone comes back
online is kept with the reason, edited and resent; field errors are worded next to their field and
clear when corrected; the app works over plain http, on 127.0.0.1 and on an insecure origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Geolocation, Page, Route, expect

from tests.browser.conftest import CHROMIUM
from tests.browser.test_citizen_app import demo_code, photo_file, report, sign_in
from urbanops.core.settings import get_settings

pytestmark = pytest.mark.browser

BEIJING: Geolocation = {"latitude": 39.9042, "longitude": 116.4074}  # far outside the city: refused
TANGXIA: Geolocation = {"latitude": 22.8006, "longitude": 114.0719}  # 塘厦镇
TANGXIA_SOUTH: Geolocation = {
    "latitude": 22.7960,
    "longitude": 114.0750,
}  # 塘厦镇, away from other tests' cases
# what a user must never read: the server's and the app's code names for fields
CODE_NAMES = re.compile(
    r"\b(lat|lon|datum|description|photo_ids|category_code|matter_code|phone|code|reason)\b"
)
SHOTS = Path("/tmp")


@pytest.fixture
def citizen_page(phone_page: Page) -> Iterator[Page]:
    """The phone, and a check that the page's Content-Security-Policy blocked nothing it uses."""
    blocked: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            blocked.append(msg.text)

    phone_page.on("console", on_console)
    yield phone_page
    assert blocked == [], blocked


def assert_worded(text: str) -> None:
    assert text.strip(), "an error without words"
    assert not CODE_NAMES.search(text), f"a code name is shown to the user: {text!r}"
    assert "请检查：" not in text or "（" in text, text


def test_refused_report_is_kept_with_reason_edited_and_resent(
    citizen_page: Page, tmp_path: Path
) -> None:
    page = citizen_page
    ctx = page.context
    sign_in(page, "13600000011")

    # offline: photo, a place far outside the city, text and category; submitted into the outbox
    ctx.set_offline(True)
    expect(page.locator("#net")).to_be_visible()
    page.set_input_files("#photo-input", str(photo_file(tmp_path)))
    page.wait_for_selector("#photos .photo img")
    ctx.set_geolocation(BEIJING)
    page.click("#locate-btn")
    expect(page.locator("#place")).to_contain_text("39.90420, 116.40740")
    page.fill("#desc", "路口有人搭了铁皮棚")
    page.click("#cats .cat[data-code='illegal_building']")
    page.click("#submit-btn")
    expect(page.locator("#view-mine")).to_be_visible()
    item = page.locator("#outbox-list li.ob")
    expect(item).to_have_count(1)
    expect(item.locator(".ob-status")).to_have_text("等待联网，联网后自动提交")
    page.screenshot(path=str(SHOTS / "m-outbox-offline.png"))

    # online again: the outbox sends it, the server refuses the place; the report stays, with the reason
    ctx.set_offline(False)
    refused = page.locator("#outbox-list li.ob.rejected")
    expect(refused).to_have_count(1)
    status = refused.locator(".ob-status").inner_text()
    assert status.startswith("未提交："), status
    assert "不在本市任何镇街范围内" in status, status
    assert_worded(status)
    expect(refused.locator("[data-act=edit]")).to_be_visible()
    expect(refused.locator("[data-act=resend]")).to_be_visible()
    expect(page.locator("#mine-dot")).to_be_visible()
    expect(page.locator("#mine-list li")).to_have_count(0)  # nothing reached the server
    page.screenshot(path=str(SHOTS / "m-outbox-rejected.png"))

    # kept across a reload, and not sent again by itself
    page.reload()
    expect(page.locator("#view-mine")).to_be_visible()
    expect(page.locator("#outbox-list li.ob.rejected")).to_have_count(1)
    expect(page.locator("#outbox-list .ob-status")).to_contain_text("不在本市任何镇街范围内")

    # in English the app's own words change; the server's reason stays as it was given
    page.click("#lang")
    expect(page.locator("#outbox-list .ob-status")).to_contain_text("Not submitted: ")
    expect(page.locator("#outbox-list [data-act=edit]")).to_have_text("Edit")
    page.screenshot(path=str(SHOTS / "m-outbox-rejected-en.png"))
    page.click("#lang")
    expect(page.locator("#outbox-list .ob-status")).to_contain_text("未提交：")

    # "resend" as it is: refused again, still kept
    expect(page.locator("#toast")).to_be_hidden()
    page.click("#outbox-list [data-act=resend]")
    expect(page.locator("#toast")).to_contain_text("未被受理")
    expect(page.locator("#outbox-list li.ob.rejected")).to_have_count(1)

    # edit: the form comes back with its photo (uploaded meanwhile), pin, category and text,
    # and the reason next to the map
    page.click("#outbox-list [data-act=edit]")
    expect(page.locator("#view-report")).to_be_visible()
    expect(page.locator("#editing")).to_be_visible()
    expect(page.locator("#photos .photo img")).to_have_count(1)
    assert (page.get_attribute("#photos .photo img", "src") or "").startswith("/media/")
    expect(page.locator("#map .leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("#desc")).to_have_value("路口有人搭了铁皮棚")
    expect(page.locator("#cats .cat.on")).to_have_attribute("data-code", "illegal_building")
    place_error = page.locator("#place-error")
    expect(place_error).to_be_visible()
    expect(place_error).to_contain_text("不在本市任何镇街范围内")
    assert_worded(place_error.inner_text())
    expect(page.locator("#map")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "m-outbox-editing.png"))

    # fix the place and the text; the error clears as soon as the pin moves
    ctx.set_geolocation(TANGXIA_SOUTH)
    page.click("#locate-btn")
    expect(page.locator("#place")).to_contain_text("塘厦镇")
    expect(place_error).to_be_hidden()
    page.fill("#desc", "塘厦路口有人搭了铁皮棚")
    page.click("#submit-btn")
    expect(page.locator("#view-result")).to_be_visible()
    number = page.text_content("#result-number") or ""
    assert re.fullmatch(r"\d{14}", number), number

    # sent once, with the edit; the outbox is empty and the form is a fresh one
    page.click("#view-result [data-go=mine]")
    expect(page.locator(f"#mine-list li:has-text('{number}')")).to_have_count(1)
    expect(page.locator("#mine-list li")).to_have_count(1)
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#mine-dot")).to_be_hidden()
    page.click(f"#mine-list li:has-text('{number}')")
    expect(page.locator("#case-desc")).to_have_text("塘厦路口有人搭了铁皮棚")
    page.click("#tabs [data-go=report]")
    expect(page.locator("#editing")).to_be_hidden()
    expect(page.locator("#photos .photo")).to_have_count(0)
    expect(page.locator("#desc")).to_have_value("")
    expect(page.locator("#view-report .field-error:visible")).to_have_count(0)


def test_editing_a_refused_report_keeps_the_draft_in_progress(
    citizen_page: Page, tmp_path: Path
) -> None:
    page = citizen_page
    ctx = page.context
    sign_in(page, "13600000012")
    ctx.set_offline(True)
    page.set_input_files("#photo-input", str(photo_file(tmp_path)))
    ctx.set_geolocation(BEIJING)
    page.click("#locate-btn")
    expect(page.locator("#place")).to_contain_text("39.90420")
    page.click("#cats .cat[data-code='street_vending']")
    page.click("#submit-btn")
    expect(page.locator("#outbox-list li.ob")).to_have_count(1)
    ctx.set_offline(False)
    expect(page.locator("#outbox-list li.ob.rejected")).to_have_count(1)

    # a new draft is started, then the refused report is opened, then left for later
    page.click("#tabs [data-go=report]")
    page.fill("#desc", "新的草稿：井盖缺失")
    page.wait_for_selector("#draft-note:not([hidden])")
    page.click("#tabs [data-go=mine]")
    page.click("#outbox-list [data-act=edit]")
    expect(page.locator("#desc")).to_have_value("")
    expect(page.locator("#cats .cat.on")).to_have_attribute("data-code", "street_vending")
    page.fill("#desc", "改过的描述")
    page.click("#edit-later")
    expect(page.locator("#editing")).to_be_hidden()
    expect(page.locator("#desc")).to_have_value("新的草稿：井盖缺失")
    # the refused one kept its edit, and is still there after a reload
    page.reload()
    page.click("#tabs [data-go=mine]")
    expect(page.locator("#outbox-list li.ob.rejected b")).to_have_text("改过的描述")
    page.click("#tabs [data-go=report]")
    expect(page.locator("#desc")).to_have_value("新的草稿：井盖缺失")

    # deleting asks first; declining keeps it
    answers = [False, True]
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    page.click("#tabs [data-go=mine]")
    page.click("#outbox-list [data-act=delete]")
    expect(page.locator("#outbox-list li.ob")).to_have_count(1)
    page.click("#outbox-list [data-act=delete]")
    expect(page.locator("#outbox")).to_be_hidden()
    assert asked == ["删除这条上报？它还没有提交，删除后无法恢复。"] * 2


def test_server_failure_is_retried_with_backoff_until_sent(
    citizen_page: Page, tmp_path: Path
) -> None:
    """A 502 from a proxy in front of the server (an HTML page, not problem+json): the report is
    kept and tried again later by itself, without any online event, and sent once."""
    page = citizen_page
    sign_in(page, "13600000014")
    page.set_input_files("#photo-input", str(photo_file(tmp_path)))
    page.wait_for_selector("#photos .photo img")
    page.context.set_geolocation(TANGXIA_SOUTH)
    page.click("#locate-btn")
    expect(page.locator("#place")).to_contain_text("塘厦镇")
    page.fill("#desc", "路灯整晚不亮")
    page.click("#cats .cat[data-code='public_lighting']")
    attempts: list[str] = []

    def bad_gateway(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        attempts.append(route.request.post_data or "")
        route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")

    page.route("**/api/v1/citizen/reports", bad_gateway)
    page.click("#submit-btn")
    expect(page.locator("#view-mine")).to_be_visible()
    expect(page.locator("#toast")).to_have_text("服务器暂时无法受理：上报已保存，稍后自动提交")
    expect(page.locator("#outbox-list li.ob .ob-status")).to_have_text("服务器繁忙，稍后自动重试")
    assert len(attempts) == 1
    page.unroute("**/api/v1/citizen/reports")
    # the first retry comes after about 5 s (±20 %)
    expect(page.locator("#outbox")).to_be_hidden(timeout=15000)
    expect(page.locator("#mine-list li:has-text('路灯')")).to_have_count(1, timeout=5000)
    expect(page.locator("#mine-list li")).to_have_count(1)


def test_field_errors_are_worded_next_to_the_field_and_clear(
    citizen_page: Page, tmp_path: Path
) -> None:
    page = citizen_page
    page.goto("/m/")
    page.wait_for_selector("#view-login:not([hidden])")

    # sign-in: a malformed number is refused by the server; the reason sits under the number
    page.fill("#phone", "12345")
    page.click("#send-code")
    phone_error = page.locator("#phone-error")
    expect(phone_error).to_have_text("请输入正确的 11 位手机号")
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#login-error")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "m-login-phone-error.png"))
    page.fill("#phone", "138 0013 8021")  # typed with spaces, as the placeholder shows
    expect(phone_error).to_be_hidden()
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", "true")
    page.click("#send-code")
    page.wait_for_selector("#demo-code:not([hidden])")
    right = demo_code(page)
    wrong = "000000" if right != "000000" else "111111"
    page.fill("#code", wrong)
    page.click("#login-btn")
    code_error = page.locator("#code-error")
    expect(code_error).to_contain_text("验证码不正确")
    expect(code_error).to_contain_text("还可尝试 4 次")
    page.screenshot(path=str(SHOTS / "m-login-code-error.png"))
    assert_worded(code_error.inner_text())
    page.fill("#code", right)
    expect(code_error).to_be_hidden()
    page.click("#login-btn")
    page.wait_for_selector("#view-report:not([hidden])")

    # the report form: what is missing is said under each step
    page.click("#submit-btn")
    expect(page.locator("#photo-error")).to_have_text("请至少拍一张照片")
    expect(page.locator("#place-error")).to_have_text("请先在地图上标出位置")
    expect(page.locator("#cat-error")).to_have_text("请选择问题类别或描述问题")
    page.locator("#photo-error").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "m-report-missing.png"))
    page.set_input_files("#photo-input", str(photo_file(tmp_path)))
    expect(page.locator("#photo-error")).to_be_hidden()
    page.fill("#desc", "人行道上的井盖缺失了")
    expect(page.locator("#cat-error")).to_be_hidden()

    # a place the server refuses: said next to the map, worded, with a hint by the button
    page.context.set_geolocation(BEIJING)
    page.click("#locate-btn")
    page.click("#cats .cat[data-code='street_vending']")
    page.click("#submit-btn")
    place_error = page.locator("#place-error")
    expect(place_error).to_contain_text("不在本市任何镇街范围内")
    assert_worded(place_error.inner_text())
    expect(page.locator("#report-error")).to_have_text("请按上面标出的提示修改后重新提交")
    page.locator("#report-error").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "m-report-place-error.png"))
    page.context.set_geolocation(TANGXIA)
    page.click("#locate-btn")
    expect(page.locator("#place")).to_contain_text("塘厦镇")
    expect(place_error).to_be_hidden()
    expect(page.locator("#report-error")).to_be_hidden()
    page.click("#submit-btn")
    expect(page.locator("#view-result")).to_be_visible()
    page.click("#view-result [data-go=report]")
    expect(page.locator("#view-report .field-error:visible")).to_have_count(0)
    expect(page.locator("#report-error")).to_be_hidden()

    # my profile: an empty nickname is refused under the nickname
    page.click("#tabs [data-go=me]")
    page.fill("#nickname", " ")
    page.click("#save-me")
    expect(page.locator("#nickname-error")).to_have_text("昵称须为 1 到 16 个字")
    page.screenshot(path=str(SHOTS / "m-me-nickname-error.png"))
    page.fill("#nickname", "街坊")
    expect(page.locator("#nickname-error")).to_be_hidden()
    page.click("#save-me")
    expect(page.locator("#me-msg")).to_have_text("已保存")


def test_english_errors_name_fields_in_english(citizen_page: Page) -> None:
    page = citizen_page
    page.goto("/m/")
    page.wait_for_selector("#view-login:not([hidden])")
    page.click("#lang")
    page.fill("#phone", "12345")
    page.click("#send-code")
    expect(page.locator("#phone-error")).to_have_text("enter a valid 11-digit mobile number")
    page.fill("#phone", "")
    page.click("#login-btn")
    expect(page.locator("#phone-error")).to_have_text("Enter your mobile number")


def test_plain_http_on_loopback_is_a_secure_context(citizen_page: Page) -> None:
    """On http://127.0.0.1 (and localhost) the browser grants what needs a secure context:
    the service worker (offline shell) and geolocation."""
    page = citizen_page
    page.goto("/m/")
    assert page.url.startswith("http://127.0.0.1:")
    assert page.evaluate("window.isSecureContext") is True
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert urlsplit(scope).path == "/m/"


@pytest.fixture
def lan_browser(browser: Browser, live_server: str) -> Iterator[Browser]:
    """A browser that reaches the test server under a name that is not loopback, as a phone
    reaches a laptop on the LAN by its address: plain http there is not a secure context."""
    port = urlsplit(live_server).port
    rules = f"MAP phone-lan.test:{port} 127.0.0.1:{port}"
    b = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", f"--host-resolver-rules={rules}"],
    )
    yield b
    b.close()


def test_insecure_origin_still_reports_by_tapping_the_map(
    lan_browser: Browser, live_server: str, tmp_path: Path
) -> None:
    port = urlsplit(live_server).port
    ctx = lan_browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=f"http://phone-lan.test:{port}",
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(page, "13600000013")
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("'serviceWorker' in navigator") is False
        page.click("#locate-btn")
        expect(page.locator("#toast")).to_have_text("定位需要 HTTPS 连接，请点击地图标出位置")
        page.set_input_files("#photo-input", str(photo_file(tmp_path)))
        page.wait_for_selector("#photos .photo img")
        page.evaluate("document.querySelector('#map').scrollIntoView()")
        page.click("#map", position={"x": 180, "y": 110})  # the centre of the city's map
        expect(page.locator("#place")).to_contain_text("·")
        page.fill("#desc", "路边有人摆摊")
        page.click("#cats .cat[data-code='street_vending']")
        page.click("#submit-btn")
        expect(page.locator("#view-result")).to_be_visible()
    finally:
        ctx.close()
    assert errors == [], errors


def test_server_text_is_shown_as_text(
    citizen_page: Page, tmp_path: Path, live_server: str, staff_tokens: dict[str, dict[str, str]]
) -> None:
    """Markup in what staff write (or what any client stored) reaches the citizen as text."""
    page = citizen_page
    sign_in(page, "13600000015")
    page.context.set_geolocation({"latitude": 22.7990, "longitude": 114.0790})
    number = report(page, tmp_path, "<b>门口</b>有人占道摆摊卖菜")
    case_id = httpx.get(
        f"{live_server}/api/v1/cases", params={"q": number}, headers=staff_tokens["inspector"]
    ).json()["items"][0]["id"]
    note = '<img src=/nope onerror="document.title=1">已处理'
    for action, body in [("start", {}), ("submit_result", {"note": note})]:
        r = httpx.post(
            f"{live_server}/api/v1/cases/{case_id}/actions/{action}",
            json=body,
            headers=staff_tokens["handler"],
        )
        assert r.status_code == 200, r.text
    page.click("#view-result [data-go=mine]")
    page.click(f"#mine-list li:has-text('{number}')")
    expect(page.locator("#case-timeline")).to_contain_text(note)
    expect(page.locator("#case-timeline img")).to_have_count(0)
    expect(page.locator("#case-desc")).to_have_text("<b>门口</b>有人占道摆摊卖菜")
    assert page.title() != "1"


def test_secure_cookie_over_plain_http_is_explained(lan_browser: Browser, live_server: str) -> None:
    """In production the session cookie is `Secure`; a phone on plain http (not localhost) drops
    it: the sign-in form says to use HTTPS instead of silently showing the form again."""
    port = urlsplit(live_server).port
    ctx = lan_browser.new_context(locale="zh-CN", base_url=f"http://phone-lan.test:{port}")
    page = ctx.new_page()
    auth = get_settings().auth
    before = auth.cookie_secure
    auth.cookie_secure = True
    try:
        page.goto("/m/")
        page.fill("#phone", "13600000016")
        page.click("#send-code")
        page.wait_for_selector("#demo-code:not([hidden])")
        page.fill("#code", demo_code(page))
        page.click("#login-btn")
        expect(page.locator("#login-error")).to_have_text(
            "验证通过，但浏览器无法在普通 http 连接下保存登录状态：请通过 HTTPS 地址打开"
        )
        expect(page.locator("#view-login")).to_be_visible()
    finally:
        auth.cookie_secure = before
        ctx.close()
