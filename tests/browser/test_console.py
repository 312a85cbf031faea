"""The command centre console in a real browser: sign in, find a case, act on it."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_chief_signs_in_and_urges_a_case(browser, live_server: str, engine) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy.orm import sessionmaker

    from urbanops.identity import service as identity
    from urbanops.identity.roles import Role

    name = f"chief_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s,
            username=name,
            password="browser-password",
            display_name="值班长 测试",
            roles=[Role.shift_chief],
        )
    tok = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": name, "password": "browser-password"}
    ).json()
    case = httpx.post(
        f"{live_server}/api/v1/reports",
        headers={"Authorization": f"Bearer {tok['access_token']}"},
        json={
            "lat": 22.9195,
            "lon": 113.6956,
            "matter_code": "06036",
            "description": "楼下乱堆杂物",
        },
    ).json()

    page = browser.new_page(
        viewport={"width": 1366, "height": 800}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/console")
    page.fill("#u", name)
    page.fill("#p", "wrong-password")
    page.click("#login button")
    page.wait_for_selector("#login-err:not([hidden])")
    assert page.text_content("#login-err") == "用户名或密码错误"
    page.fill("#p", "browser-password")
    page.click("#login button")
    page.fill("#f-number", case["case_number"])
    page.click("#refresh")
    page.wait_for_selector(f"#rows tr:has-text('{case['case_number']}')")
    page.click(f"#rows tr:has-text('{case['case_number']}')")
    page.wait_for_selector("#detail [data-act=urge]")
    assert "厚街城管分局" in page.text_content("#detail")
    page.click("#detail [data-act=urge]")
    page.fill("#act-form input[name=note]", "请今天内处理")
    page.click("#act-form button")
    page.wait_for_selector("#detail ol.tl li:has-text('督办')")
    assert "请今天内处理" in page.text_content("#detail ol.tl")
    page.close()
    assert errors == []
