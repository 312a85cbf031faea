"""The campaign figures: over days on which only this test posts (July 2018), every figure
is what its entries, awards, redemptions and invitations make; only rewards staff read them;
a bad span is a 422 in Chinese."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.roles import Role
from urbanops.rewards import ledger, profiles, titles
from urbanops.rewards.prize_models import Prize
from urbanops.rewards.redemption import cancel_redemption, redeem_reward

from ..conftest import token

DAY = datetime(2018, 7, 10, 2, tzinfo=UTC)
_phone = iter(range(13700040000, 13700049999))


def test_the_figures_of_a_span_add_up(session: Session, client: TestClient) -> None:
    a, b, c = (factories.citizen(session, str(next(_phone)), now=DAY) for _ in range(3))

    def post(who: object, kind: str, ref: str, at: datetime = DAY, **points: int) -> None:
        ledger.post(
            session,
            citizen_id=who.id,  # type: ignore[attr-defined]
            kind=kind,
            key=f"fig:{kind}:{ref}:{secrets.token_hex(3)}",
            now=at,
            reason="测试",
            ref_type={"assist": "assist", "adjust": "adjustment"}.get(kind, "case"),
            ref_id=ref,
            **points,
        )

    for who, refs in ((a, ["a1", "a2", "a3"]), (b, ["b1"])):
        for ref in refs:
            post(who, "earn", ref, pending=20)
            post(who, "release", ref, DAY + timedelta(days=1), pending=-20, available=20)
    post(b, "earn", "b2", pending=20)
    post(b, "clawback", "b2", pending=-20)
    post(a, "assist", "c", available=10)
    post(a, "adjust", "fix", available=5)
    post(c, "earn", "outside", DAY + timedelta(days=40), pending=20)  # after the span
    for who in (a, b):
        titles.award_titles(session, citizen_id=who.id)
    # July's 得分王, awarded on 1 August, count in July
    assert (
        titles.award_score_kings(
            session, month="2018-07", now=datetime(2018, 7, 31, 16, 10, tzinfo=UTC)
        )
        == 2
    )
    prize = Prize(
        name=f"晴雨伞 {secrets.token_hex(3)}", kind="gift", price_points=30, stock=3,
        per_person_limit=None, created_at=DAY, updated_at=DAY,
    )  # fmt: skip
    session.add(prize)
    session.flush()
    kept = redeem_reward(
        session, actor=citizen_actor(a), now=DAY + timedelta(days=2), prize_id=prize.id,
        idempotency_key="k1",
    ).redemption  # fmt: skip
    dropped = redeem_reward(
        session, actor=citizen_actor(a), now=DAY + timedelta(days=2), prize_id=prize.id,
        idempotency_key="k2",
    ).redemption  # fmt: skip
    cancel_redemption(
        session, actor=citizen_actor(a), now=DAY + timedelta(days=3), redemption_id=dropped.id
    )
    share = profiles.profile(session, a.id, DAY).share_code
    assert profiles.record_invite(session, citizen_id=c.id, ref=share, now=DAY)

    factories.staff_member(session, "fig_clerk", [Role.rewards_clerk])
    factories.staff_member(session, "fig_handler", [Role.handler])
    clerk = token(client, "fig_clerk")
    r = client.get("/api/v1/rewards/figures?from=2018-07-01&to=2018-07-31", headers=clerk)
    assert r.status_code == 200, r.text
    f = r.json()
    assert (f["from"], f["to"]) == ("2018-07-01", "2018-07-31")
    assert f["participants"] == 2 and f["valid_reports"] == 4
    by_title = {t["code"]: t["awarded"] for t in f["titles"]}
    assert by_title == {"newcomer": 2, "reports": 2, "assist_king": 0, "score_king": 2}
    assert f["titles_total"] == 6
    august = client.get("/api/v1/rewards/figures?from=2018-08-01&to=2018-08-31", headers=clerk)
    assert august.json()["participants"] == 1  # c's report
    assert {t["code"]: t["awarded"] for t in august.json()["titles"]}["score_king"] == 0
    (item,) = [i for i in f["redemptions"] if i["prize_id"] == prize.id]
    assert (item["requested"], item["cancelled"], item["total"], item["points"]) == (1, 1, 2, 30)
    assert kept.status == "requested" and f["redemptions_total"] == 1
    assert f["shares"] == {"invited": 1, "sharers": 1}
    assert f["assists"] == {"entries": 1, "citizens": 1, "points": 10}
    assert f["points"] == {
        "earned": 100,
        "assists": 10,
        "clawed_back": 20,
        "adjusted": 5,
        "spent": 60,
        "refunded": 30,
        "expired": 0,
        "issued": 95,
        "redeemed": 30,
    }
    assert f["cost"] == {"point_value_fen": 10, "issued_fen": 950, "redeemed_fen": 300}

    assert (
        client.get("/api/v1/rewards/figures", headers=token(client, "fig_handler")).status_code
        == 403
    )
    assert client.get("/api/v1/rewards/figures").status_code == 401
    bad = client.get("/api/v1/rewards/figures?from=2018-08-01&to=2018-07-01", headers=clerk)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_span"
    assert "开始日期" in bad.json()["detail"]
    assert client.get("/api/v1/rewards/figures?from=x", headers=clerk).status_code == 422
