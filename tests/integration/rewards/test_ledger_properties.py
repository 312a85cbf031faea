"""Property tests of the ledger under random sequences of earning (a citizen's case registered),
release (verified), clawback (returned, then voided), redemption, cancellation and staff
adjustment, all through the real services: after every step each balance is at least zero and
equals the sum of its entries, and a clawback never moves available points.

Each step runs in its own savepoint, as a request runs in its own transaction: a refused step
(points short, a void the table does not allow) leaves nothing behind. Each example runs in a
savepoint of the test's transaction that is rolled back, so examples do not see each other."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.core.errors import DomainError
from urbanops.identity import service as identity
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM, Role
from urbanops.rewards import earning, ledger, points, prizes, redemption
from urbanops.rewards.models import PointsEntry

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PEOPLE = 3
# spots in 东城 far enough apart that no report joins another's case
SPOTS = [(23.005 + 0.003 * (i % 8), 113.745 + 0.003 * (i // 8)) for i in range(64)]
_run = itertools.count()

who = st.integers(min_value=0, max_value=PEOPLE - 1)
pick = st.integers(min_value=0, max_value=1_000)
step = st.one_of(
    st.tuples(st.just("earn"), who),
    st.tuples(st.just("release"), pick),
    st.tuples(st.just("clawback"), pick),
    st.tuples(st.just("redeem"), who),
    st.tuples(st.just("cancel"), pick),
    st.tuples(
        st.just("adjust"),
        who,
        st.integers(min_value=-40, max_value=40).filter(lambda d: d != 0),
    ),
)


def _available(session: Session, citizen_id: int) -> int:
    return ledger.balance_of(session, citizen_id).available


class World:
    def __init__(self, session: Session, n: int) -> None:
        self.session = session
        self.people = [
            factories.citizen(session, f"1390099{n % 1000:03d}{i}", now=NOW) for i in range(PEOPLE)
        ]
        user = factories.staff_member(session, f"prop_clerk_{n}", [Role.rewards_clerk])
        self.clerk = identity.actor_for_user(user)
        self.prize = prizes.create_prize(
            session,
            actor=self.clerk,
            now=NOW,
            values={"name": "文明随手礼", "kind": "gift", "price_points": 15, "stock": 1000},
        )
        self.cases: list[Case] = []
        self.redemptions: list[int] = []
        self.keys = itertools.count()

    def ids(self) -> list[int]:
        return [p.id for p in self.people]

    def project(self) -> None:
        while earning.project(self.session, now=NOW) == earning.BATCH:
            pass

    def run(self, op: tuple[Any, ...]) -> None:
        s = self.session
        kind = op[0]
        if kind == "earn":
            spot = SPOTS[len(self.cases) % len(SPOTS)]
            person: Citizen = self.people[op[1]]
            self.cases.append(factories.report_case(s, now=NOW, where=spot, reporter=person).case)
            self.project()
        elif kind == "release" and self.cases:
            case = self.cases[op[1] % len(self.cases)]
            kw: dict[str, Any] = {"actor": SYSTEM, "now": NOW, "case_id": case.id}
            verbs.start_case(s, **kw)
            verbs.submit_result(s, note="已处置", **kw)
            verbs.verify_case(s, **kw)
            self.project()
        elif kind == "clawback" and self.cases:
            case = self.cases[op[1] % len(self.cases)]
            reporter = case.reporter_citizen_id
            assert reporter is not None
            before = _available(s, reporter)
            kw = {"actor": SYSTEM, "now": NOW, "case_id": case.id}
            verbs.return_case(s, reason="不属本单位", **kw)
            verbs.void_case(s, reason="虚假上报", **kw)
            self.project()
            assert _available(s, reporter) == before, "a clawback moved available points"
        elif kind == "redeem":
            done = redemption.redeem_reward(
                s,
                actor=citizen_actor(self.people[op[1]]),
                now=NOW,
                prize_id=self.prize.id,
                idempotency_key=f"prop-{next(self.keys)}",
            )
            self.redemptions.append(done.redemption.id)
        elif kind == "cancel" and self.redemptions:
            rid = self.redemptions[op[1] % len(self.redemptions)]
            owner_id = redemption.get_redemption(s, rid).citizen_id
            owner = s.get(Citizen, owner_id)
            assert owner is not None
            redemption.cancel_redemption(s, actor=citizen_actor(owner), now=NOW, redemption_id=rid)
        elif kind == "adjust":
            points.adjust_points(
                s,
                actor=self.clerk,
                now=NOW,
                citizen_id=self.people[op[1]].id,
                delta=op[2],
                reason="随机调整",
                idempotency_key=f"prop-adj-{next(self.keys)}",
            )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_balances_stay_non_negative_and_equal_their_entries(
    session: Session, steps: list[tuple[Any, ...]]
) -> None:
    example = session.begin_nested()
    try:
        world = World(session, next(_run))
        for op in steps:
            try:
                with session.begin_nested():
                    world.run(op)
            except DomainError:
                pass  # refused (points short, a step the table does not allow): nothing written
            assert ledger.inconsistent_citizens(session, world.ids()) == []
            for citizen_id in world.ids():
                b = ledger.balance_of(session, citizen_id)
                assert b.pending >= 0 and b.available >= 0
        clawed = session.scalars(
            select(PointsEntry).where(
                PointsEntry.citizen_id.in_(world.ids()), PointsEntry.kind == "clawback"
            )
        ).all()
        assert all(e.available_delta == 0 and e.pending_delta < 0 for e in clawed)
    finally:
        example.rollback()
