"""The campaign figures page in a real browser: a rewards clerk (not an admin) signs in, asks
for one day long past on which this test alone posted (two citizens' reports, an assist, a
redemption), and reads its figures, the titles that day gave and the redemption by prize;
the boards and the honour roll are beside them. Commits to the test database (the ledger
keeps its entries; names are unique per run)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from urbanops.identity import service as identity
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Role
from urbanops.rewards import ledger, titles
from urbanops.rewards.prize_models import Prize
from urbanops.rewards.redemption import redeem_reward

from .conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/admin-shots")
DAY = datetime(2018, 5, 20, 3, tzinfo=UTC)  # 11:00 in Beijing


def test_a_rewards_clerk_reads_the_campaign_figures_of_a_day(
    browser: Any, live_server: str, engine: Engine
) -> None:
    run = uuid.uuid4().hex[:6]
    maker = sessionmaker(engine, expire_on_commit=False)
    with maker.begin() as s:
        identity.create_user(
            s, username=f"fig_{run}", password=PASSWORD, display_name="积分管理员 数据",
            roles=[Role.rewards_clerk],
        )  # fmt: skip
        prize = Prize(
            name=f"小夜灯 {run}", kind="gift", price_points=40, stock=5, per_person_limit=None,
            created_at=DAY, updated_at=DAY,
        )  # fmt: skip
        people = [
            Citizen(phone=f"15{uuid.uuid4().int % 10**9:09d}", nickname=f"数据{n}", created_at=DAY)
            for n in range(2)
        ]
        s.add_all([prize, *people])
        s.flush()
        for n, person in enumerate(people):
            for case in range(2 - n):  # three valid reports: two and one
                ref = f"{run}-{n}-{case}"
                for kind, pending, available in (("earn", 20, 0), ("release", -20, 20)):
                    ledger.post(
                        s, citizen_id=person.id, kind=kind, key=f"fig:{kind}:{ref}", now=DAY,
                        reason="测试", ref_type="case", ref_id=ref, pending=pending,
                        available=available,
                    )  # fmt: skip
        ledger.post(
            s, citizen_id=people[1].id, kind="assist", key=f"fig:assist:{run}", now=DAY,
            reason="测试", ref_type="assist", ref_id=run, available=10,
        )  # fmt: skip
        redeem_reward(
            s, actor=citizen_actor(people[0]), now=DAY + timedelta(hours=1), prize_id=prize.id,
            idempotency_key=run,
        )  # fmt: skip
        for person in people:
            titles.award_titles(s, citizen_id=person.id)

    page = browser.new_page(
        viewport={"width": 1440, "height": 1000}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/admin/rewards-figures")
    page.fill("#u", f"fig_{run}")
    page.fill("#p", PASSWORD)
    page.click("#login button")
    page.wait_for_selector("#work:not([hidden])")
    page.wait_for_selector("#cards .card")
    assert page.locator(".admin-nav a[aria-current]").inner_text() == "活动数据"
    page.fill("#from", "2018-05-20")
    page.fill("#to", "2018-05-20")
    page.click("#span button.primary")
    page.wait_for_selector(f"#redemptions td:has-text('小夜灯 {run}')")

    def figure(key: str) -> str:
        return str(page.locator(f"[data-figure={key}] .count").inner_text())

    assert figure("participants") == "2"
    assert figure("valid_reports") == "3"
    assert figure("assists") == "1"
    assert figure("redeemed_items") == "1"
    assert figure("cost") == "¥4.00"  # 40 points at ¥0.10
    newcomers = page.locator("#titles tr[data-title=newcomer] td.num").inner_text()
    assert newcomers == "2"
    row = page.locator("#redemptions tr").filter(has_text=f"小夜灯 {run}")
    assert row.locator("td.num").first.inner_text() == "1"  # requested
    assert "积分发放与兑换" in page.inner_text("#work")
    assert page.locator("#points td.sum").first.is_visible()
    page.wait_for_selector("#board caption, #board td")
    page.wait_for_selector("#honour .honour")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "rewards_figures.png"), full_page=True)

    page.click("#lang")
    page.wait_for_selector("[data-figure=participants] h3:has-text('Participants')")
    assert errors == []
    page.close()
