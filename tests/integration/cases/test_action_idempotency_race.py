"""Two sends of the same staff action with the same `Idempotency-Key` at the same moment, on two
real connections that commit (a phone retrying while its first send is still being taken): the
action is taken once and both get the same answer, the second marked as replayed.

The first send is held inside the action until the second has reached the key: the second's
claim waits on the key's row until the first commits, then reads the first's answer.
"""

from __future__ import annotations

import threading
import time
import uuid

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases import idempotency, verbs
from urbanops.cases.models import CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity.roles import Actor, ActorKind, Role

from ...factories import committed_case

# 塘厦: a town the unit-scope tests leave alone (this committed case stays in its unit's lists)
TANGXIA = (22.8006, 114.0719)


class Answer(BaseModel):
    status: str
    events: int


def test_two_sends_at_once_take_the_action_once(
    committed: sessionmaker[Session], unit_ids: dict[str, int]
) -> None:
    handler = Actor(
        ActorKind.staff, 999001, "handler", frozenset({Role.handler}), unit_ids["branch_441900116"]
    )
    key = f"race-{uuid.uuid4().hex}"
    first_inside = threading.Event()
    results: list[tuple[Answer, bool]] = []
    errors: list[BaseException] = []

    with committed_case(committed, CaseStatus.dispatched, now=utcnow(), where=TANGXIA) as case_id:

        def send(hold: bool) -> None:
            try:
                with committed.begin() as s:

                    def take() -> Answer:
                        verbs.start_case(s, actor=handler, now=utcnow(), case_id=case_id)
                        s.flush()
                        if hold:
                            first_inside.set()
                            time.sleep(1.0)  # the second send is waiting on the key by now
                        count = select(func.count()).where(CaseEvent.case_id == case_id)
                        return Answer(status="in_progress", events=s.scalar(count) or 0)

                    results.append(
                        idempotency.once(
                            s,
                            actor=handler,
                            now=utcnow(),
                            key=key,
                            case_id=case_id,
                            action="start",
                            arguments={},
                            take=take,
                            answer_type=Answer,
                        )
                    )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        first = threading.Thread(target=send, args=(True,))
        first.start()
        assert first_inside.wait(60)
        second = threading.Thread(target=send, args=(False,))
        second.start()
        first.join(120)
        second.join(120)

        assert not errors, errors
        assert sorted(replayed for _, replayed in results) == [False, True]
        assert results[0][0] == results[1][0]
        with committed() as s:
            starts = select(func.count()).where(
                CaseEvent.case_id == case_id, CaseEvent.action == "start"
            )
            assert s.scalar(starts) == 1
