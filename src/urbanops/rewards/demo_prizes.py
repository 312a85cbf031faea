"""The demo catalogue: the tiers of Dongguan's 全莞拍 campaign (100 points for a 文明随手礼,
1,000 for a basketball outing, 10,000 for the mystery prize, phone credit, data and cash red
packets), each marked as demo data (`is_demo`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.rewards.prize_models import Prize

# name, kind, price (points), stock, per-person limit, low-stock threshold, face value (fen), text
DEMO_PRIZES: list[tuple[str, str, int, int, int | None, int, int | None, str]] = [
    (
        "文明随手礼·文明礼仪包",
        "gift",
        100,
        300,
        2,
        30,
        None,
        "文明出行礼仪包一份：环保袋、口罩、湿巾。",
    ),
    ("文明随手礼·晴雨伞", "gift", 100, 200, 1, 20, None, "全莞拍定制晴雨两用伞一把。"),
    ("文明随手礼·小夜灯", "gift", 100, 200, 1, 20, None, "感应小夜灯一盏，照亮回家的路。"),
    ("话费 5 元", "phone_credit", 60, 500, 5, 50, 500, "充值到登录手机号，三个工作日内到账。"),
    ("流量 1GB", "data", 50, 500, 5, 50, None, "1GB 全国通用流量，当月有效。"),
    ("现金红包 2 元", "cash_red_packet", 20, 1000, 10, 100, 200, "直接发放到微信零钱。"),
    ("现金红包 10 元", "cash_red_packet", 100, 300, 3, 30, 1000, "直接发放到微信零钱。"),
    ("篮球观赛", "outing", 1000, 40, 1, 5, None, "东莞主场篮球赛门票两张（含往返接驳）。"),
    ("神秘大奖", "mystery", 10000, 3, 1, 1, None, "年度神秘大奖，揭晓前保密。"),
]


def load_demo_prizes(session: Session, now: datetime) -> int:
    """Adds the demo prizes that are not there yet (by name); returns how many."""
    have = set(session.scalars(select(Prize.name)))
    added = 0
    for name, kind, price, stock, limit, threshold, face, text in DEMO_PRIZES:
        if name in have:
            continue
        session.add(
            Prize(
                name=name,
                description=text,
                kind=kind,
                price_points=price,
                stock=stock,
                per_person_limit=limit,
                valid_from=None,
                valid_until=now + timedelta(days=365),
                active=True,
                low_stock_threshold=threshold,
                face_value_fen=face,
                is_demo=True,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    session.flush()
    return added
