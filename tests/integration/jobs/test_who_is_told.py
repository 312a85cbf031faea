"""Who is told of an action, as the registry says: the unit's staff in their own inboxes; an
escalation (提级) and an urge (督办) also reach the leader in charge (here the city's leaders,
none having a unit: not a deactivated one) and not the reporter (they are not public), whether
a supervisor takes them or the deadline sweep does. Leaders of units are in
`tests/integration/notifications/test_leader_in_charge.py`.

The notification job is called as the worker calls it (`notify_case_event`) on the row the
apply step queued in the outbox; the last tests run the real queue and worker on committed rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.areas.models import Unit
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.sweep import sweep
from urbanops.cases.timeline import NOTIFY_TASK
from urbanops.cases.workflow import CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity.models import Citizen, User
from urbanops.identity.roles import Role
from urbanops.notifications.models import Notification
from urbanops.notifications.service import notify_case_event

from ...factories import HUMEN, case_in_status, citizen, committed_case, staff_member
from ..conftest import NOW, Staff, token
from .conftest import work_off_jobs

Told = set[tuple[str, int]]


@dataclass
class Scene:
    case: Case
    reporter: Citizen
    leaders: set[int]  # the active leaders
    gone: int  # a deactivated leader
    handler: int  # the handler of the case's unit (东城)


@pytest.fixture
def scene(session: Session, staff: dict[str, Staff]) -> Scene:
    """A case a citizen reported, dispatched to 东城城管分局; leaders active and not."""
    both = staff_member(session, "told_chief_leader", [Role.shift_chief, Role.leader])
    gone = staff_member(session, "told_leader_gone", [Role.leader], active=False)
    reporter = citizen(session, "13912340071", now=NOW)
    case = case_in_status(session, CaseStatus.dispatched, now=NOW, reporter=reporter)
    leader, handler = staff["leader"].actor.id, staff["dongcheng"].actor.id
    assert leader is not None and handler is not None and case.unit_id is not None
    return Scene(case, reporter, {leader, both.id}, gone.id, handler)


def event(session: Session, case: Case, action: str) -> CaseEvent:
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
    ).one()


def run_job(session: Session, row: CaseEvent) -> Told:
    """The job the apply step queued for `row`, run; who it told."""
    queued = session.execute(
        text("SELECT task FROM job_outbox WHERE (args->>'event_id')::bigint = :e"),
        {"e": row.id},
    ).all()
    assert [q[0] for q in queued] == [NOTIFY_TASK]
    notify_case_event(session, row.id, now=row.at)
    session.flush()
    found = session.execute(
        select(Notification.recipient_kind, Notification.recipient_id).where(
            Notification.event_id == row.id
        )
    ).all()
    return {(kind, rid) for kind, rid in found}


def every_active_leader(session: Session) -> set[int]:
    """The city's leaders (active, without a unit): in charge of a case whose unit and town
    have no leader of their own."""
    return {
        u.id
        for u in session.scalars(select(User))
        if u.is_active and Role.leader in u.roles and u.unit_id is None
    }


def unit(scene: Scene) -> Told:
    """The staff of the case's unit: its one handler (the other towns' handlers are not)."""
    return {("user", scene.handler)}


def test_the_reporter_does_hear_of_public_steps(session: Session, scene: Scene) -> None:
    """The reporter is one the job can reach: the dispatch told them (and the unit)."""
    told = run_job(session, event(session, scene.case, "dispatch"))
    assert ("citizen", scene.reporter.id) in told and unit(scene) <= told


def test_an_escalation_by_a_shift_chief_tells_the_unit_and_every_active_leader(
    session: Session, client: TestClient, scene: Scene
) -> None:
    r = client.post(
        f"/api/v1/cases/{scene.case.id}/actions/escalate",
        json={"note": "群众反映强烈"},
        headers=token(client, "t_chief"),
    )
    assert r.status_code == 200, r.text
    told = run_job(session, event(session, scene.case, "escalate"))
    leaders = {("user", uid) for uid in every_active_leader(session)}
    assert scene.leaders <= every_active_leader(session)
    assert told == unit(scene) | leaders
    assert ("user", scene.gone) not in told
    assert ("citizen", scene.reporter.id) not in told


def test_an_urge_by_a_dispatcher_tells_the_unit_and_the_leaders_in_charge(
    session: Session, client: TestClient, scene: Scene
) -> None:
    r = client.post(
        f"/api/v1/cases/{scene.case.id}/actions/urge",
        json={},
        headers=token(client, "t_dispatcher"),
    )
    assert r.status_code == 200, r.text
    leaders = {("user", uid) for uid in every_active_leader(session)}
    assert run_job(session, event(session, scene.case, "urge")) == unit(scene) | leaders


def test_the_sweeps_urge_and_escalation_tell_the_same_people(
    session: Session, scene: Scene
) -> None:
    sweep(session, NOW + timedelta(days=30), batch=10_000)
    session.flush()
    urge, escalate = event(session, scene.case, "urge"), event(session, scene.case, "escalate")
    assert urge.actor_kind == escalate.actor_kind == "system"
    leaders = {("user", uid) for uid in every_active_leader(session)}
    assert run_job(session, urge) == unit(scene) | leaders
    assert {uid for _, uid in leaders} >= scene.leaders
    assert run_job(session, escalate) == unit(scene) | leaders
    for step in ("remind", "mark_overdue"):
        assert run_job(session, event(session, scene.case, step)) == unit(scene)


# --- through the real queue: the outbox drained into jobs, run by a worker ---


def test_a_worker_turns_a_committed_dispatch_into_the_unit_handlers_notification(
    committed: sessionmaker[Session],
) -> None:
    with committed.begin() as s:
        humen = s.scalar(select(Unit.id).where(Unit.code == "branch_441900121"))
        handler = staff_member(s, "told_humen_handler", [Role.handler], unit_id=humen).id
    try:
        # the real time: the worker's periodic deadline sweep must find nothing due yet
        with committed_case(committed, CaseStatus.dispatched, now=utcnow(), where=HUMEN) as cid:
            work_off_jobs()
            with committed() as s:
                rows = s.scalars(select(Notification).where(Notification.case_id == cid)).all()
                told = [(n.recipient_kind, n.recipient_id, n.channel) for n in rows]
                # this handler once (other tests' committed Humen accounts are told too)
                assert [t for t in told if t[1] == handler] == [("user", handler, "in_app")]
                assert all(t[0] == "user" and t[2] == "in_app" for t in told)
                assert "派遣" in rows[0].title
    finally:
        with committed.begin() as s:
            s.execute(text("DELETE FROM app_user WHERE id = :id"), {"id": handler})


def test_a_worker_tells_every_active_leader_of_the_sweeps_escalation(
    committed: sessionmaker[Session],
) -> None:
    people = {
        "leader": ([Role.leader], True),
        "leader_chief": ([Role.shift_chief, Role.leader], True),
        "leader_gone": ([Role.leader], False),
        "dispatcher": ([Role.dispatcher], True),
    }
    now = utcnow()
    with committed.begin() as s:
        ids = {
            name: staff_member(s, f"esc_{name}", roles, active=active).id
            for name, (roles, active) in people.items()
        }
    try:
        with committed_case(committed, CaseStatus.dispatched, now=now, matter_code="09006") as cid:
            with committed.begin() as s:  # days after the case fell due: every rung at once
                assert sweep(s, now + timedelta(days=10)) >= 1
            work_off_jobs()
            with committed() as s:
                case = s.get(Case, cid)
                assert case is not None
                escalation = event(s, case, "escalate")
                found = s.execute(
                    select(Notification.recipient_kind, Notification.recipient_id).where(
                        Notification.event_id == escalation.id
                    )
                )
                told = {(kind, rid) for kind, rid in found}
                leaders = every_active_leader(s)
        assert {ids["leader"], ids["leader_chief"]} <= leaders
        assert ids["leader_gone"] not in leaders and ids["dispatcher"] not in leaders
        assert {("user", uid) for uid in leaders} <= told
        assert not {("user", ids["leader_gone"]), ("user", ids["dispatcher"])} & told
    finally:
        with committed.begin() as s:
            s.execute(
                text("DELETE FROM app_user WHERE id = ANY(:ids)"), {"ids": list(ids.values())}
            )
