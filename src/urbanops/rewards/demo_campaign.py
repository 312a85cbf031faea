"""The demo campaign month: citizens who reported during the month before the demo was loaded,
their points through the ledger (earned, released, a few assists), and the titles that month
gave, in the proportions of 全莞拍's first month (12,785 reports, 992 titled citizens, 15
文明得分王, 49 文明助攻王) at about a twelfth: some 1,000 valid reports by 130 citizens.

The entries name no real case (`ref_id` `demo-…`), so they count on their citizen's home town's
board. Demo citizens' phones start with 1990000.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas.models import Town
from urbanops.identity.models import Citizen
from urbanops.rewards import ledger, titles

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


def load_demo_campaign(session: Session, now: datetime) -> int:
    """Adds the demo month unless it is there; returns the citizens added."""
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
    # 助攻: the shares of twenty citizens brought others in, six of them three times or more
    for i, person in enumerate(rng.sample(people, 20)):
        for n in range(6 - i // 3 if i < 6 else 1 + i % 2):
            ledger.post(
                session,
                citizen_id=person.id,
                kind="assist",
                key=f"demo:assist:{person.id}:{n}",
                now=start + timedelta(seconds=rng.uniform(0, span)),
                reason="演示：助攻",
                ref_type="assist",
                ref_id=f"demo-{person.id}-{n}",
                available=10,
            )
    for person in people:
        titles.award_titles(session, citizen_id=person.id)
    titles.award_score_kings(session, month=month, now=end + timedelta(minutes=10))
    return len(people)
