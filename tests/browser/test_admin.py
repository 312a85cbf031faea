"""The administration in a real browser: an admin signs in, creates a user with a role, edits
a rule of the responsibility matrix and asks the tester where the matter now goes, and finds
both changes on the audit page; then every admin page is drawn at 1440×900 without a script
error and with its data. The browser tests commit: what the test changed is put back."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from urbanops.admin import matrix
from urbanops.areas.models import Responsibility, ServiceStation, Unit
from urbanops.bootstrap import load_demo_stations
from urbanops.core.clock import utcnow
from urbanops.identity import service as identity
from urbanops.identity.models import AuditEntry, User
from urbanops.identity.roles import SYSTEM, Role
from urbanops.notifications.models import StaffContact

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/admin-shots")
PAGES = {
    "index": ("/admin", "#cards .card"),
    "users": ("/admin/users", "#users tbody tr"),
    "units": ("/admin/units", "#units tbody tr"),
    "responsibility": ("/admin/responsibility", "#rules tbody tr"),
    "time_limits": ("/admin/time-limits", "#limits tbody tr"),
    "calendar": ("/admin/calendar", "#status-line"),
    "stations": ("/admin/stations", "#stations tbody tr"),
    "channels": ("/admin/channels", "#channels form"),
    "api_keys": ("/admin/api-keys", "#keys tr"),
    "audit": ("/admin/audit", "#entries tr"),
}


@pytest.fixture
def admin_login(engine: Engine) -> tuple[str, str]:
    name = f"admin_{uuid.uuid4().hex[:6]}"
    with sessionmaker(engine).begin() as s:
        identity.create_user(
            s, username=name, password=PASSWORD, display_name="管理员 浏览器", roles=[Role.admin]
        )
    return name, PASSWORD


@pytest.fixture
def water_rule(engine: Engine) -> Iterator[int]:
    """The city-wide rule for 06024 (水域秩序乱象 → 市水务局), put back after the test."""
    maker = sessionmaker(engine)
    with maker.begin() as s:
        rule = s.scalar(select(Responsibility).where(Responsibility.matter_code == "06024"))
        assert rule is not None
        rule_id, unit_id = rule.id, rule.unit_id
    yield rule_id
    with maker.begin() as s:
        matrix.update_rule(
            s,
            actor=SYSTEM,
            now=utcnow(),
            rule_id=rule_id,
            rule=matrix.Rule(None, None, "06024", unit_id),
        )


def _page(browser: Any, live_server: str) -> tuple[Any, list[str]]:
    page = browser.new_page(
        viewport={"width": 1440, "height": 900}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _sign_in(page: Any, login: tuple[str, str], path: str) -> None:
    page.goto(path)
    page.fill("#u", login[0])
    page.fill("#p", login[1])
    page.click("#login button")
    page.wait_for_selector("#work:not([hidden])")


def test_an_admin_creates_a_user_edits_a_rule_and_finds_both_in_the_audit(
    browser: Any,
    live_server: str,
    engine: Engine,
    admin_login: tuple[str, str],
    water_rule: int,
) -> None:
    page, errors = _page(browser, live_server)
    SHOTS.mkdir(exist_ok=True)
    username = f"disp_{uuid.uuid4().hex[:6]}"
    # given an admin on the users page
    _sign_in(page, admin_login, "/admin/users")
    assert "管理员" in page.text_content("#who")
    # when they create a dispatcher, first with a weak password
    page.click("#new")
    page.fill("#user-form [name=username]", username)
    page.fill("#user-form [name=display_name]", "派遣员 测试")
    page.fill("#user-form [name=password]", "abcdefgh")
    page.check("#user-form input[name=role][value=dispatcher]")
    page.click("#user-form button.primary")
    page.wait_for_selector("#user-form .msg.bad:not([hidden])")
    assert "至少三类" in page.text_content("#user-form .msg")
    page.fill("#user-form [name=password]", secrets.token_urlsafe(10) + "Qz7#")
    page.click("#user-form button.primary")
    # then the account is listed with its role in words
    row = page.locator(f"#users tr:has-text('{username}')")
    row.wait_for()
    assert "派遣员" in row.text_content()
    page.screenshot(path=str(SHOTS / "users_created.png"))
    with sessionmaker(engine)() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None and user.roles == ["dispatcher"] and user.must_change_password

    # when they give the account a phone for SMS, first a mistyped one
    row.locator("[data-act=edit]").click()
    page.fill("#user-form [name=phone]", "1380013800")
    page.fill("#user-form [name=wecom_userid]", "PaiQian01")
    page.click("#user-form button.primary")
    page.wait_for_selector("#user-form .msg.bad:not([hidden])")
    assert "手机号" in page.text_content("#user-form .msg")
    page.fill("#user-form [name=phone]", "13800138000")
    page.click("#user-form button.primary")
    page.wait_for_selector("#user-form", state="detached")
    # then the notification ports reach them there, and the change is audited
    with sessionmaker(engine)() as s:
        contact = s.get(StaffContact, user.id)
        assert contact is not None
        assert (contact.phone, contact.wecom_userid) == ("13800138000", "PaiQian01")
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "user", AuditEntry.entity_key == username)
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.after == {
            "phone": "13800138000",
            "wecom_userid": "PaiQian01",
        }

    # when they send 06024 city-wide to the sanitation centre instead of the water bureau
    page.click("nav a[href='/admin/responsibility']")
    page.wait_for_selector("#work:not([hidden])")
    page.locator("#rules tr:has-text('06024')").get_by_role("button", name="编辑").click()
    page.select_option("#rule-form [name=unit_id]", label="市环境卫生管理中心")
    page.click("#rule-form button.primary")
    page.wait_for_selector("#rule-form", state="detached")
    assert "市环境卫生管理中心" in page.locator("#rules tr:has-text('06024')").text_content()
    # then the tester, asking the routing intake uses, says so for 东城
    page.select_option("#t-town", value="441900003")
    page.fill("#t-matter", "06024")
    page.click("#tester button")
    page.wait_for_selector("#t-result .result")
    answer = page.text_content("#t-result")
    assert "市环境卫生管理中心" in answer and "全市" in answer
    page.screenshot(path=str(SHOTS / "responsibility_tested.png"))
    with sessionmaker(engine)() as s:
        sanitation = s.scalar(select(Unit.id).where(Unit.code == "dept_sanitation"))
        assert s.get(Responsibility, water_rule).unit_id == sanitation  # type: ignore[union-attr]

    # and the audit page lists the rule's change, before → after, and the new account
    page.click("nav a[href='/admin/audit']")
    page.wait_for_selector("#entries tbody tr")
    page.select_option("#entity", value="responsibility")
    with page.expect_response(lambda r: "/api/v1/admin/audit?" in r.url):
        page.click("#filters button")
    page.wait_for_timeout(100)
    kinds = page.locator("#entries tbody tr td:nth-child(3)").all_text_contents()
    assert kinds and set(kinds) == {"责任矩阵规则"}
    first = page.locator("#entries tbody tr").first
    assert "修改" in first.text_content() and "管理员 浏览器" in first.text_content()
    assert first.locator(".to").text_content() == "市环境卫生管理中心"
    assert first.locator(".from").text_content() == "市水务局"
    page.select_option("#entity", value="user")
    page.click("#filters button")
    page.locator(f"#entries tr:has-text('{username}')").first.wait_for()
    contact_row = page.locator(f"#entries tr:has-text('{username}')").first
    assert "手机号" in contact_row.text_content()  # the newest: the contact, in words
    page.screenshot(path=str(SHOTS / "audit_filtered.png"))
    with sessionmaker(engine)() as s:
        assert s.scalar(
            select(AuditEntry.id).where(
                AuditEntry.entity == "user", AuditEntry.entity_key == username
            )
        )
    assert errors == []


@pytest.fixture
def demo_stations(engine: Engine) -> Iterator[None]:
    """The demo set of service stations, taken away again afterwards."""
    maker = sessionmaker(engine)
    with maker.begin() as s:
        before = set(s.scalars(select(ServiceStation.id)))
        load_demo_stations(s)
    yield
    with maker.begin() as s:
        s.execute(delete(ServiceStation).where(ServiceStation.id.not_in(before)))


def test_every_admin_page_is_drawn_with_its_data(
    browser: Any, live_server: str, admin_login: tuple[str, str], demo_stations: None
) -> None:
    page, errors = _page(browser, live_server)
    SHOTS.mkdir(exist_ok=True)
    _sign_in(page, admin_login, "/admin")
    for name, (path, content) in PAGES.items():
        page.goto(path)
        page.wait_for_selector("#work:not([hidden])")
        page.wait_for_selector(content)
        nav = page.locator("nav.admin-nav a[aria-current=page]")
        assert nav.get_attribute("href") == path
        if name == "stations":
            page.wait_for_selector("#map .leaflet-interactive")
            assert "演示" in page.text_content("#stations tbody tr")
        page.screenshot(path=str(SHOTS / f"{name}.png"))
    # an area chief is given communities picked town by town
    page.goto("/admin/users")
    page.wait_for_selector("#users tbody tr")
    page.click("#new")
    page.check("#user-form input[name=role][value=area_chief]")
    page.select_option("#c-town", value="441900003")
    page.check("#user-form input[name=community][value='441900003001']")
    assert "岗贝社区" in page.text_content("#communities-field .chip")
    page.screenshot(path=str(SHOTS / "users_area_chief.png"))
    # the pages speak English too
    page.goto("/admin/users")
    page.wait_for_selector("#users tbody tr")
    page.click("#lang")
    assert page.text_content("nav a[href='/admin/users']") == "Users"
    assert "New user" in page.text_content("#new")
    page.screenshot(path=str(SHOTS / "users_en.png"))
    page.click("#lang")
    assert errors == []
