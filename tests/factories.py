"""Building test data through the platform's own services (never rows that skip its rules).

A case reaches a status the way a real one does: reported through intake, then moved by the
verbs (`case_in_status`); people are made by the identity services. Tests whose rows must be
seen by other connections (a worker, a second thread) commit them with `committed_case` and
take them out of the way again with `discard_case`: the timeline and the reports stay, as the
database insists (migration 0007); only follow-up jobs and notifications go.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.cases.queries import get_case
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity import citizens
from urbanops.identity import service as identity
from urbanops.identity.citizens import citizen_actor
from urbanops.identity.models import Citizen, CitizenSession, User
from urbanops.identity.roles import SYSTEM, Actor, Role
from urbanops.notifications.models import Notification
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import IntakeResult, submit_report
from urbanops.rewards import ledger

S, A = CaseStatus, CaseAction
DONGCHENG = (23.0159, 113.7796)  # 东城: 06042 goes to 东城城管分局 (branch_441900003)
HUMEN = (22.8191, 113.6968)  # 虎门: 06042 goes to 虎门城管分局 (branch_441900121)
PASSWORD = "Test-Pass-2026"

Verb = Callable[..., object]
# how a case reaches each status from the one before it on the way (see `case_in_status`)
_WAY: dict[CaseStatus, tuple[CaseStatus, Verb, dict[str, Any]]] = {
    S.accepted: (S.reported, verbs.accept_case, {}),  # matter_code added by case_in_status
    S.registered: (S.accepted, verbs.register_case, {}),
    S.dispatched: (S.registered, verbs.dispatch_case, {}),
    S.in_progress: (S.dispatched, verbs.start_case, {}),
    S.returned: (S.dispatched, verbs.return_case, {"reason": "不属本单位"}),
    S.parked: (S.dispatched, verbs.park_case, {"reason": "待专项整治"}),
    S.awaiting_verification: (S.in_progress, verbs.submit_result, {"note": "已处置"}),
    S.closed: (S.awaiting_verification, verbs.verify_case, {}),
    S.reopened: (S.closed, verbs.reopen_case, {"reason": "问题仍在"}),
    S.void: (S.reported, verbs.void_case, {"reason": "重复上报"}),
    S.referred: (S.reported, verbs.refer_case, {"channel": "hrss"}),
    # merged: from reported, into a new case (see case_in_status)
}


def citizen(session: Session, phone: str, *, now: datetime, nickname: str = "街坊") -> Citizen:
    """A citizen bound to `phone` (as the sign-in code would bind one)."""
    person = Citizen(phone=phone, nickname=nickname, created_at=now)
    session.add(person)
    session.flush()
    return person


def grant_points(session: Session, citizen_id: int, points: int, *, now: datetime) -> None:
    """`points` available to the citizen at once: a staff `adjust` entry, as a starting balance."""
    ledger.post(
        session,
        citizen_id=citizen_id,
        kind="adjust",
        key=f"test:grant:{citizen_id}:{secrets.token_hex(6)}",
        now=now,
        reason="测试积分",
        ref_type="adjustment",
        ref_id="test",
        available=points,
    )


def citizen_token(session: Session, citizen_id: int) -> str:
    """A signed-in session of the citizen for a day: the raw token for `X-Citizen-Token`."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        CitizenSession(
            token_hash=citizens.keyed_digest("session", raw),
            citizen_id=citizen_id,
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
    )
    return raw


def staff_member(
    session: Session,
    username: str,
    roles: list[Role],
    *,
    unit_id: int | None = None,
    active: bool = True,
) -> User:
    """A staff account (password `PASSWORD`), active or deactivated."""
    user = identity.create_user(
        session,
        username=username,
        password=PASSWORD,
        display_name=username,
        roles=roles,
        unit_id=unit_id,
    )
    user.is_active = active
    session.flush()
    return user


def report_case(
    session: Session,
    *,
    now: datetime,
    where: tuple[float, float] = DONGCHENG,
    matter_code: str | None = "06042",
    description: str = "",
    reporter: Citizen | None = None,
    idempotency_key: str | None = None,
    check_duplicates: bool = False,
) -> IntakeResult:
    """One report through intake: with a matter whose unit is known it is dispatched at once,
    without one it waits in triage; from `reporter`'s app, or from an API client otherwise."""
    data = ReportIn(
        lat=where[0],
        lon=where[1],
        matter_code=matter_code,
        description=description,
        idempotency_key=idempotency_key,
    )
    actor = citizen_actor(reporter) if reporter else SYSTEM
    return submit_report(
        session,
        actor=actor,
        now=now,
        data=data,
        source="citizen" if reporter else "api",
        citizen_id=reporter.id if reporter else None,
        check_duplicates=check_duplicates,
    )


def case_in_status(
    session: Session,
    status: CaseStatus,
    *,
    now: datetime,
    where: tuple[float, float] = DONGCHENG,
    matter_code: str = "06042",
    reporter: Citizen | None = None,
    actor: Actor = SYSTEM,
) -> Case:
    """A new case driven to `status` by the verbs, every step taken by `actor` at `now`: it
    is reported to triage (no matter), then accepted with `matter_code`, registered,
    dispatched by the responsibility matrix, and so on. A merged case is merged into a new
    case of the same matter (its `merged_into_id`)."""
    if status is S.merged:
        case = case_in_status(session, S.reported, now=now, where=where, reporter=reporter)
        target = report_case(session, now=now, where=where, matter_code=matter_code).case
        verbs.merge_case(session, actor=actor, now=now, case_id=case.id, into_case_id=target.id)
        return case
    if status is S.reported:
        return report_case(session, now=now, where=where, matter_code=None, reporter=reporter).case
    before, verb, extra = _WAY[status]
    case = case_in_status(
        session,
        before,
        now=now,
        where=where,
        matter_code=matter_code,
        reporter=reporter,
        actor=actor,
    )
    if verb is verbs.accept_case:
        extra = {"matter_code": matter_code}
    verb(session, actor=actor, now=now, case_id=case.id, **extra)
    assert case.status == status, (case.status, status)
    return case


def retire_case(session: Session, case_id: int, *, now: datetime) -> None:
    """Take a committed test case out of the way of later tests (no longer open, off the
    sweep) through the workflow, as the system: its rows stay, as every timeline's do."""
    kw: dict[str, Any] = {"actor": SYSTEM, "now": now, "case_id": case_id}
    for _ in range(6):
        status = CaseStatus(get_case(session, case_id).status)
        if status in (S.reported, S.accepted, S.registered, S.returned):
            verbs.void_case(session, reason="测试结束", **kw)
        elif status in (S.dispatched, S.reopened):
            verbs.start_case(session, **kw)
        elif status is S.in_progress:
            verbs.submit_result(session, note="测试结束", **kw)
        elif status is S.awaiting_verification:
            verbs.verify_case(session, **kw)
        elif status is S.parked:
            verbs.unpark_case(session, **kw)
        else:
            return
    raise AssertionError(f"case {case_id} could not be retired")


_EVENTS_OF = "SELECT id FROM case_event WHERE case_id = ANY(:c)"


def discard_case(session: Session, *case_ids: int, now: datetime) -> None:
    """Retire committed test cases, then forget the follow-up work they left: the jobs and
    outbox rows of their events and their notifications (their timelines and reports stay)."""
    ids = list(case_ids)
    for case_id in ids:
        retire_case(session, case_id, now=now)
    session.flush()
    for table, column in (("job_outbox", "args"), ("procrastinate_jobs", "args")):
        session.execute(
            text(f"DELETE FROM {table} WHERE ({column}->>'event_id')::bigint IN ({_EVENTS_OF})"),
            {"c": ids},
        )
    session.execute(delete(Notification).where(Notification.case_id.in_(ids)))


@contextmanager
def committed_case(
    maker: sessionmaker[Session], status: CaseStatus = S.dispatched, **kw: Any
) -> Iterator[int]:
    """The id of a case in `status` (`case_in_status(..., **kw)`) committed for other
    connections to see; discarded afterwards, with the case it was merged into, if any."""
    with maker.begin() as s:
        case = case_in_status(s, status, **kw)
        ids = [case.id] + ([case.merged_into_id] if case.merged_into_id else [])
    try:
        yield case.id
    finally:
        with maker.begin() as s:
            discard_case(s, *ids, now=utcnow())
