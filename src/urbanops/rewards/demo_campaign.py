"""The demo campaign month: citizens who reported during the month before the demo was loaded,
their points through the ledger (earned, released, a few assists), and the titles that month
gave, and what they redeemed, in the proportions of 全莞拍's first month (12,785 reports, 992
titled citizens, 15 文明得分王, 49 文明助攻王, 300 who shared, nearly 600 prizes redeemed) at about
a twelfth: some 1,000 valid reports by 130 citizens, twenty who shared, about fifty prizes.

The entries name no real case (`ref_id` `demo-…`), so they count on their citizen's home town's
board. Demo citizens' phones start with 1990000.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas.models import Town
from urbanops.core.errors import DomainError
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Actor
from urbanops.rewards import ledger, profiles, redemption, titles
from urbanops.rewards.prize_models import Prize

PHONE_PREFIX = "1990000"
CITIZENS = 130
SURNAMES = "陈李黄张梁林刘何罗叶钟邓郑王蔡袁谢莫"
WORDS = [
    "阿明",
    "小芳",
    "志强",
    "美玲",
    "伟文",
    "嘉欣",
    "家豪",
    "晓燕",
    "永健",
    "丽华",
    "国栋",
    "文静",
]


def load_demo_campaign(session: Session, now: datetime, clerk: Actor | None = None) -> int:
    """Adds the demo month unless it is there; returns the citizens added. With a rewards
    clerk, some of the month's vouchers are handed over by them."""
    if session.scalar(select(Citizen.id).where(Citizen.phone.startswith(PHONE_PREFIX)).limit(1)):
        return 0
    rng = random.Random(2023)
    towns = list(session.scalars(select(Town.code).order_by(Town.code)))
    month = titles.previous_month(now)
    start, end = titles.month_bounds(month)
    span = (end - start).total_seconds() - 3 * 86400
    people = []
    for i in range(CITIZENS):
        nickname = "" if i % 17 == 16 else rng.choice(SURNAMES) + rng.choice(WORDS)
        person = Citizen(
            phone=f"{PHONE_PREFIX}{i + 1:04d}",
            nickname=nickname,
            home_town_code=rng.choice(towns) if towns else None,
            created_at=start,
        )
        people.append(person)
    session.add_all(people)
    session.flush()
    for i, person in enumerate(people):
        reports = min(70, max(1, int(150 / (i + 1) ** 0.85)))
        for n in range(reports):
            at = start + timedelta(seconds=rng.uniform(0, span))
            ref = f"demo-{person.id}-{n}"
            for kind, when, pending, available in (
                ("earn", at, 20, 0),
                ("release", at + timedelta(days=2), -20, 20),
            ):
                ledger.post(
                    session,
                    citizen_id=person.id,
                    kind=kind,
                    key=f"demo:{kind}:{ref}",
                    now=when,
                    reason="演示：有效上报" if kind == "earn" else "演示：案件核查通过",
                    ref_type="case",
                    ref_id=ref,
                    pending=pending,
                    available=available,
                )
    # 助攻: twenty citizens shared their link; the citizens it brought in (each one of the
    # month's reporters) gave them an assist once their first report was confirmed
    sharers = rng.sample(people, 20)
    invitees = [p for p in people if p not in sharers]
    rng.shuffle(invitees)
    for i, sharer in enumerate(sharers):
        code = profiles.profile(session, sharer.id, start).share_code
        for _ in range(6 - i // 3 if i < 6 else 1 + i % 2):
            invitee = invitees.pop()
            at = start + timedelta(seconds=rng.uniform(0, span))
            profiles.record_invite(session, citizen_id=invitee.id, ref=code, now=at)
            ledger.post(
                session,
                citizen_id=sharer.id,
                kind="assist",
                key=f"demo:assist:{invitee.id}",
                now=at + timedelta(days=2),
                reason="演示：助攻",
                ref_type="assist",
                ref_id=invitee.id,
                available=10,
            )
    _redeem(session, rng, people, start, span, clerk)
    for person in people:
        titles.award_titles(session, citizen_id=person.id)
    titles.award_score_kings(session, month=month, now=end + timedelta(minutes=10))
    return len(people)


def _redeem(
    session: Session,
    rng: random.Random,
    people: list[Citizen],
    start: datetime,
    span: float,
    clerk: Actor | None,
) -> None:
    """About fifty redemptions of the cheaper demo prizes by the month's busier reporters;
    with a clerk, those of the first three weeks handed over (the rest still to collect)."""
    cheap = list(
        session.scalars(
            select(Prize)
            .where(Prize.is_demo.is_(True), Prize.price_points <= 100)
            .order_by(Prize.id)
        )
    )
    if not cheap:
        return
    for i, person in enumerate(people[:60]):
        for n in range(2 if i < 10 else 1):
            prize = rng.choice(cheap)
            at = start + timedelta(seconds=rng.uniform(0, span))
            try:
                r = redemption.redeem_reward(
                    session,
                    actor=citizen_actor(person),
                    now=at,
                    prize_id=prize.id,
                    idempotency_key=f"demo-{person.id}-{n}",
                ).redemption
            except DomainError:  # short of points, or over the limit: the citizen goes without
                continue
            if (
                clerk is not None
                and prize.kind != "cash_red_packet"
                and at < start + timedelta(days=21)
            ):
                redemption.collect_voucher(
                    session, actor=clerk, now=at + timedelta(days=1), code=r.voucher_code
                )
