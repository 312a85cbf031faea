"""The rewards clerk's prize page in a real browser: a clerk (not an admin) signs in, creates a
prize, finds a citizen's voucher by its typed code and hands it over; it then offers no
second hand-over. Commits to the test database (prizes and ledger entries stay; names are
unique per run)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from urbanops.core.clock import utcnow
from urbanops.identity import service as identity
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Role
from urbanops.rewards import ledger
from urbanops.rewards.prize_models import Prize, Redemption
from urbanops.rewards.redemption import redeem_reward

from .conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/admin-shots")


def test_a_rewards_clerk_creates_a_prize_and_hands_over_a_voucher(
    browser: Any, live_server: str, engine: Engine
) -> None:
    run = uuid.uuid4().hex[:6]
    maker = sessionmaker(engine, expire_on_commit=False)
    with maker.begin() as s:
        identity.create_user(
            s, username=f"clerk_{run}", password=PASSWORD, display_name="积分管理员 浏览器",
            roles=[Role.rewards_clerk],
        )  # fmt: skip
    page = browser.new_page(
        viewport={"width": 1440, "height": 900}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/admin/prizes")
    page.fill("#u", f"clerk_{run}")
    page.fill("#p", PASSWORD)
    page.click("#login button")
    page.wait_for_selector("#work:not([hidden])")
    page.click("#new")
    name = f"晴雨伞 {run}"
    page.fill("#prize-form [name=name]", name)
    page.fill("#prize-form [name=stock]", "3")
    page.fill("#prize-form [name=per_person_limit]", "1")
    page.fill("#prize-form [name=low_stock_threshold]", "1")
    page.click("#prize-form button.primary")
    page.wait_for_selector(f"#prizes td:has-text('{name}')")

    now = utcnow()
    with maker.begin() as s:
        prize_id = s.scalar(select(Prize.id).where(Prize.name == name))
        assert prize_id is not None
        person = Citizen(phone=f"16{uuid.uuid4().int % 10**9:09d}", nickname="街坊", created_at=now)
        s.add(person)
        s.flush()
        ledger.post(
            s, citizen_id=person.id, kind="adjust", key=f"browser:{run}", now=now, reason="测试",
            ref_type="adjustment", ref_id=run, available=100,
        )  # fmt: skip
        r = redeem_reward(
            s, actor=citizen_actor(person), now=now, prize_id=prize_id, idempotency_key=run
        ).redemption
        code, rid = r.voucher_code, r.id

    page.reload()
    page.wait_for_selector("#work:not([hidden])")
    page.fill("#code", code.lower().replace("-", ""))
    page.click("#find button")
    page.wait_for_selector(f"#found code:has-text('{code}')")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "prizes.png"), full_page=True)
    page.click("#found button[data-act=collect]")
    page.wait_for_selector("#found .badge:has-text('已领取')")
    with maker() as s:
        assert s.scalar(select(Redemption.status).where(Redemption.id == rid)) == "collected"
    assert page.locator("#found button[data-act=collect]").count() == 0
    page.screenshot(path=str(SHOTS / "prizes-collected.png"), full_page=True)
    assert errors == []
