"""The citizen's rewards pages (积分, 好礼, 我的兑换) in a real browser on a phone-sized screen.
Commits to the test database: each test makes its own citizen (a fresh phone number), gives
them points through the ledger and its own prizes (names unique per run), and looks only at
those."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from tests import factories
from urbanops.core.clock import utcnow
from urbanops.identity.citizens import normalise_phone
from urbanops.identity.models import Citizen
from urbanops.rewards import ledger, profiles
from urbanops.rewards.earning_models import RewardsProfile
from urbanops.rewards.prize_models import Prize, Redemption

from .test_citizen_app import demo_code, sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def new_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def citizen_id(engine: Engine, phone: str) -> int:
    with sessionmaker(engine)() as s:
        found = s.scalar(select(Citizen.id).where(Citizen.phone == normalise_phone(phone)))
    assert found is not None
    return found


def give_points(engine: Engine, cid: int, points: int) -> None:
    with sessionmaker(engine).begin() as s:
        factories.grant_points(s, cid, points, now=utcnow())


def make_prize(engine: Engine, name: str, **values: Any) -> int:
    now = utcnow()
    fields: dict[str, Any] = {
        "description": "测试用好礼",
        "kind": "gift",
        "price_points": 100,
        "stock": 5,
        "per_person_limit": 1,
        "valid_from": None,
        "valid_until": now + timedelta(days=30),
        "low_stock_threshold": 0,
        "face_value_fen": None,
    }
    fields.update(values)
    with sessionmaker(engine).begin() as s:
        prize = Prize(name=name, active=True, created_at=now, updated_at=now, **fields)
        s.add(prize)
        s.flush()
        return prize.id


def redemptions_of(engine: Engine, cid: int) -> list[tuple[int, str, str]]:
    with sessionmaker(engine)() as s:
        rows = s.execute(
            select(Redemption.id, Redemption.status, Redemption.idempotency_key)
            .where(Redemption.citizen_id == cid)
            .order_by(Redemption.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def loaded(page: Page, img: Locator) -> bool:
    """Whether the image has loaded within 5 s (a polled check: the page's CSP refuses the
    string predicates of wait_for_function)."""
    for _ in range(50):
        if img.evaluate("img => img.complete && img.naturalWidth > 0"):
            return True
        page.wait_for_timeout(100)
    return False


def open_prizes(page: Page) -> None:
    page.click("#tabs [data-tab=rewards]")
    page.click("#rewards-nav [data-go=prizes]")
    page.wait_for_selector("#view-prizes:not([hidden])")


def test_redeem_get_a_voucher_with_qr_and_cancel_it_for_a_refund(
    phone_page: Page, engine: Engine
) -> None:
    page = phone_page
    phone = new_phone()
    sign_in(page, phone)
    cid = citizen_id(engine, phone)
    give_points(engine, cid, 300)
    run = uuid.uuid4().hex[:6]
    name = f"晴雨伞 {run}"
    make_prize(engine, name, price_points=120, stock=5)

    open_prizes(page)
    expect(page.locator("#prizes-points")).to_have_text("300")
    card = page.locator(f"#prize-list li:has-text('{name}')")
    expect(card).to_contain_text("120 积分")
    expect(card).to_contain_text("剩 5 件")
    expect(card).to_contain_text("每人限 1 份")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "m-prizes.png"), full_page=True)

    # the first answer is lost on the way back: the server redeemed, the phone saw no answer
    keys: list[str] = []

    def lose_answer(route: Route, request: Request) -> None:
        keys.append(request.headers.get("idempotency-key", ""))
        route.fetch()
        route.abort("connectionreset")

    page.route("**/api/v1/citizen/prizes/*/redeem", lose_answer)
    card.locator("[data-redeem]").click()
    expect(page.locator("#redeem-sheet")).to_be_visible()
    expect(page.locator("#rs-after")).to_have_text("180 积分")
    page.screenshot(path=str(SHOTS / "m-redeem-confirm.png"))
    page.click("#rs-ok")
    expect(page.locator("#rs-error")).to_contain_text("不会重复兑换")
    expect(page.locator("#rs-ok")).to_have_text("重试兑换")
    page.screenshot(path=str(SHOTS / "m-redeem-lost.png"))
    assert len(redemptions_of(engine, cid)) == 1

    # the retried tap carries the same key and gets the same voucher back
    page.unroute("**/api/v1/citizen/prizes/*/redeem")

    def pass_on(route: Route, request: Request) -> None:
        keys.append(request.headers.get("idempotency-key", ""))
        route.continue_()

    page.route("**/api/v1/citizen/prizes/*/redeem", pass_on)
    page.click("#rs-ok")
    page.wait_for_selector("#view-vouchers:not([hidden])")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    rows = redemptions_of(engine, cid)
    assert len(rows) == 1 and rows[0][1] == "requested" and rows[0][2] == keys[0]
    rid = rows[0][0]

    voucher = page.locator(f"#voucher-list li[data-id='{rid}']")
    expect(voucher).to_contain_text(name)
    expect(voucher.locator(".status")).to_have_text("待发放")
    code = voucher.locator(".vcode").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    qr = voucher.locator("img.qr")
    expect(qr).to_be_visible()
    assert loaded(page, qr), "the QR image loads"
    expect(voucher).to_contain_text("城市服务驿站")
    page.screenshot(path=str(SHOTS / "m-vouchers.png"), full_page=True)

    page.once("dialog", lambda d: d.accept())
    voucher.locator("[data-cancel]").click()
    expect(voucher.locator(".status")).to_have_text("已取消")
    expect(voucher).to_contain_text("120 积分已退回")
    assert voucher.locator("img.qr").count() == 0
    assert redemptions_of(engine, cid)[0][1] == "cancelled"

    page.click("#rewards-nav [data-go=prizes]")
    expect(page.locator("#prizes-points")).to_have_text("300")

    # the points history has the spending and its refund
    page.click("#rewards-nav [data-go=points]")
    expect(page.locator("#pt-available")).to_have_text("300")
    moves = page.locator(f"#entry-list li:has-text('{name}')")
    expect(moves).to_have_count(2)
    expect(moves.nth(0).locator(".amt")).to_have_text("+120")  # newest first: the refund
    expect(moves.nth(1).locator(".amt")).to_have_text("−120")
    page.screenshot(path=str(SHOTS / "m-points-refund.png"), full_page=True)

    # offline, the views show what they last read, marked as such
    page.context.set_offline(True)
    page.click("#rewards-nav [data-go=vouchers]")
    expect(page.locator("#vouchers-state")).to_contain_text("离线：显示的是")
    expect(voucher.locator(".status")).to_have_text("已取消")
    page.screenshot(path=str(SHOTS / "m-vouchers-offline.png"), full_page=True)
    page.context.set_offline(False)


def test_sold_out_short_and_just_sold_out_prizes(phone_page: Page, engine: Engine) -> None:
    page = phone_page
    phone = new_phone()
    sign_in(page, phone)
    cid = citizen_id(engine, phone)
    give_points(engine, cid, 150)
    run = uuid.uuid4().hex[:6]
    gone, dear, last = f"小夜灯 {run}", f"观赛 {run}", f"礼仪包 {run}"
    make_prize(engine, gone, stock=0)
    make_prize(engine, dear, price_points=1000)
    last_id = make_prize(engine, last, stock=1)

    open_prizes(page)
    sold = page.locator(f"#prize-list li:has-text('{gone}')")
    expect(sold.locator(".why")).to_have_text("已兑完")
    assert sold.locator("[data-redeem]").count() == 0
    expect(page.locator(f"#prize-list li:has-text('{dear}') .why")).to_have_text("还差 850 分")

    # the last one goes to someone else while the page shows it
    with sessionmaker(engine).begin() as s:
        prize = s.get(Prize, last_id)
        assert prize is not None
        prize.stock = 0
    page.locator(f"#prize-list li:has-text('{last}') [data-redeem]").click()
    page.click("#rs-ok")
    expect(page.locator("#rs-error")).to_have_text("这件好礼刚刚兑完了，看看别的吧")
    page.screenshot(path=str(SHOTS / "m-redeem-sold-out.png"))
    page.click("#rs-close")
    expect(page.locator(f"#prize-list li:has-text('{last}') .why")).to_have_text("已兑完")
    assert redemptions_of(engine, cid) == []
    page.screenshot(path=str(SHOTS / "m-prizes-states.png"), full_page=True)


def test_a_share_link_carries_its_code_to_the_first_sign_in(
    phone_page: Page, engine: Engine
) -> None:
    page = phone_page
    now = utcnow()
    with sessionmaker(engine).begin() as s:
        inviter = factories.citizen(s, new_phone(), now=now)
        code = profiles.profile(s, inviter.id, now).share_code
        inviter_id = inviter.id

    page.goto(f"/m/?ref={code.lower()}")
    page.wait_for_selector("#view-login:not([hidden])")
    assert "ref=" not in page.url  # not repeated by a bookmark or a reshare
    phone = new_phone()
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#demo-code:not([hidden])")
    page.fill("#code", demo_code(page))
    with page.expect_request("**/api/v1/citizen/session") as sent:
        page.click("#login-btn")
    assert (sent.value.post_data_json or {}).get("ref") == code
    page.wait_for_selector("#view-report:not([hidden])")
    with sessionmaker(engine)() as s:
        mine = s.get(RewardsProfile, citizen_id(engine, phone))
        assert mine is not None and mine.invited_by_id == inviter_id

    # the code is used once: a later sign-in on this phone sends none
    assert page.evaluate("() => localStorage.getItem('uo_ref')") is None


def test_points_page_balance_share_link_and_paged_history(
    phone_page: Page, engine: Engine, live_server: str
) -> None:
    page = phone_page
    phone = new_phone()
    page.goto("/m/")
    page.wait_for_selector("#view-login:not([hidden])")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "m-login.png"))
    # the sign-in page's promise leads to the points page once signed in
    page.click("#login-points")
    expect(page.locator("#toast")).to_have_text("登录后即可查看积分和好礼")
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#demo-code:not([hidden])")
    page.fill("#code", demo_code(page))
    page.click("#login-btn")
    page.wait_for_selector("#view-points:not([hidden])")
    expect(page.locator("#tabs [data-tab=rewards]")).to_have_class("on")

    cid = citizen_id(engine, phone)
    run = uuid.uuid4().hex[:6]
    now = utcnow()
    with sessionmaker(engine).begin() as s:
        ledger.post(
            s, citizen_id=cid, kind="earn", key=f"browser:{run}:earn", now=now,
            reason="上报立案", ref_type="case", ref_id=f"b{run}", pending=10,
        )  # fmt: skip
        for i in range(22):
            ledger.post(
                s, citizen_id=cid, kind="adjust", key=f"browser:{run}:{i}", now=now,
                reason=f"测试调整 {i}", ref_type="adjustment", ref_id=run, available=5,
            )  # fmt: skip
    page.click("#rewards-nav [data-go=prizes]")
    page.click("#rewards-nav [data-go=points]")
    expect(page.locator("#pt-available")).to_have_text("110")
    expect(page.locator("#pt-pending")).to_have_text("10")
    mine = page.request.get("/api/v1/citizen/rewards").json()
    expect(page.locator("#pt-value")).to_contain_text(f"¥{mine['value_yuan']}")
    expect(page.locator("#share-link")).to_have_text(f"{live_server}/m/?ref={mine['share_code']}")

    entries = page.locator("#entry-list li")
    expect(entries).to_have_count(20)
    expect(entries.first).to_contain_text("测试调整 21")  # newest first
    expect(entries.first.locator(".amt")).to_have_text("+5")
    page.screenshot(path=str(SHOTS / "m-points.png"), full_page=True)
    page.click("#entries-more")
    expect(entries).to_have_count(23)
    expect(page.locator("#entries-more")).to_be_hidden()
    pending = page.locator("#entry-list li:has-text('上报立案') .amt")
    expect(pending).to_have_text("待确认 +10")
