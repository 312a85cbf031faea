"""The four staff pages sign in through one module (static/shared/staff_auth.js): each signs
an account in with its password, signs out with its button, and, when the server no longer
takes the token (401), shows its sign-in form again and drops the token."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from urbanops.identity import service as identity
from urbanops.identity.roles import Role

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

# page: (path, username field, password field, submit, shown signed in, shown signed out)
PAGES = {
    "console": ("/console", "#u", "#p", "#login button", "#work", "#login"),
    "leader": ("/leader", "#u", "#p", "#login button", "#work", "#login"),
    "admin": ("/admin", "#u", "#p", "#login button.primary", "#work", "#login"),
    "field": (
        "/field/",
        "#username",
        "#password",
        "#login-btn",
        "#view-list",
        "#view-login",
    ),
}


@pytest.fixture(scope="module")
def admin_account(engine: Engine) -> str:
    name = f"auth_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s, username=name, password=PASSWORD, display_name="管理员 登录", roles=[Role.admin]
        )
    return name


@pytest.mark.parametrize("name", list(PAGES))
def test_sign_in_sign_out_and_a_refused_token(
    browser: Browser, live_server: str, admin_account: str, name: str
) -> None:
    path, user_field, password_field, submit, signed_in, signed_out = PAGES[name]
    ctx = browser.new_context(base_url=live_server, locale="zh-CN", service_workers="block")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path)
        expect(page.locator(signed_out)).to_be_visible()
        page.fill(user_field, admin_account)
        page.fill(password_field, PASSWORD)
        page.click(submit)
        expect(page.locator(signed_in)).to_be_visible()
        assert page.evaluate("sessionStorage.getItem('uo_token')")

        # the server no longer takes the token: the page asks for the password again
        page.evaluate("sessionStorage.setItem('uo_token', 'no-longer-valid')")
        page.reload()
        expect(page.locator(signed_out)).to_be_visible()
        expect(page.locator(signed_in)).to_be_hidden()
        assert page.evaluate("sessionStorage.getItem('uo_token')") is None

        # signed in again, the button signs out
        page.fill(user_field, admin_account)
        page.fill(password_field, PASSWORD)
        page.click(submit)
        expect(page.locator(signed_in)).to_be_visible()
        page.click("#logout")
        expect(page.locator(signed_out)).to_be_visible()
        assert page.evaluate("sessionStorage.getItem('uo_token')") is None
        assert errors == [], errors
    finally:
        ctx.close()
