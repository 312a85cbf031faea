"""The case lifecycle through the services: roles, unit scope, deadlines and the timeline."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases import extensions, verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.core.errors import Conflict, InvalidInput, PermissionDenied, TransitionNotAllowed
from urbanops.identity.roles import SYSTEM
from urbanops.reports.photos import store_photo
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ..conftest import NOW, Staff

DONGCHENG = (23.0159, 113.7796)


def events(session: Session, case: Case) -> list[str]:
    return list(
        session.scalars(
            select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def new_case(session: Session, matter: str = "06042", **kw: object) -> Case:
    data = ReportIn(lat=DONGCHENG[0], lon=DONGCHENG[1], matter_code=matter, **kw)
    return submit_report(
        session, actor=SYSTEM, now=NOW, data=data, source="api", check_duplicates=False
    ).case


def test_full_lifecycle_with_rework_reopen_and_rating(
    session: Session, staff: dict[str, Staff]
) -> None:
    case = new_case(session)
    h, insp = staff["dongcheng"].actor, staff["inspector"].actor
    t = NOW + timedelta(hours=1)
    verbs.start_case(session, actor=h, now=t, case_id=case.id)
    assert case.status == "in_progress"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "JPEG")
    after = store_photo(session, buf.getvalue(), now=t, user_id=h.id)
    verbs.submit_result(session, actor=h, now=t, case_id=case.id, note="已清运", photos=[after.id])
    assert case.status == "awaiting_verification" and case.stage == "verify"
    verbs.rework_case(session, actor=insp, now=t, case_id=case.id, reason="还有垃圾")
    verbs.submit_result(session, actor=h, now=t, case_id=case.id, note="已彻底清理")
    verbs.verify_case(session, actor=insp, now=t, case_id=case.id)
    assert case.status == "closed" and case.closed_at == t and case.due_at is None
    verbs.reopen_case(
        session,
        actor=staff["chief"].actor,
        now=t + timedelta(days=2),
        case_id=case.id,
        reason="市民反映未解决",
    )
    verbs.start_case(session, actor=h, now=t + timedelta(days=2), case_id=case.id)
    verbs.submit_result(
        session, actor=h, now=t + timedelta(days=2), case_id=case.id, note="再次清理"
    )
    verbs.verify_case(session, actor=insp, now=t + timedelta(days=3), case_id=case.id)
    verbs.rate_case(
        session,
        actor=staff["clerk"].actor,
        now=t + timedelta(days=3),
        case_id=case.id,
        rating=5,
        comment="满意",
    )
    assert case.rating == 5
    assert events(session, case) == [
        "submit",
        "accept",
        "register",
        "dispatch",
        "start",
        "submit_result",
        "rework",
        "submit_result",
        "verify",
        "reopen",
        "start",
        "submit_result",
        "verify",
        "rate",
    ]


def test_refused_transition_writes_nothing(session: Session, staff: dict[str, Staff]) -> None:
    case = new_case(session)
    before = events(session, case)
    with pytest.raises(TransitionNotAllowed):
        verbs.verify_case(session, actor=staff["inspector"].actor, now=NOW, case_id=case.id)
    assert case.status == "dispatched"
    assert events(session, case) == before


def test_roles_and_unit_scope(session: Session, staff: dict[str, Staff]) -> None:
    case = new_case(session)  # dispatched to 东城城管分局
    with pytest.raises(PermissionDenied) as other_unit:
        verbs.start_case(session, actor=staff["humen"].actor, now=NOW, case_id=case.id)
    assert other_unit.value.code == "outside_unit_scope"
    with pytest.raises(PermissionDenied) as wrong_role:
        verbs.start_case(session, actor=staff["clerk"].actor, now=NOW, case_id=case.id)
    assert wrong_role.value.code == "role_not_allowed"
    verbs.start_case(session, actor=staff["dongcheng"].actor, now=NOW, case_id=case.id)


def test_return_and_redispatch_restart_the_handle_clock(
    session: Session, staff: dict[str, Staff], unit_ids: dict[str, int]
) -> None:
    case = new_case(session)
    later = NOW + timedelta(hours=2)
    verbs.return_case(
        session, actor=staff["dongcheng"].actor, now=later, case_id=case.id, reason="属于市政职责"
    )
    assert case.status == "returned" and case.stage == "dispatch"
    with pytest.raises(InvalidInput):
        verbs.return_case(
            session, actor=staff["dongcheng"].actor, now=later, case_id=case.id, reason=" "
        )
    verbs.redispatch_case(
        session,
        actor=staff["dispatcher"].actor,
        now=later,
        case_id=case.id,
        unit_id=unit_ids["dept_municipal"],
    )
    assert case.status == "dispatched" and case.unit_id == unit_ids["dept_municipal"]
    assert case.stage_started_at == later
    verbs.start_case(session, actor=staff["municipal"].actor, now=later, case_id=case.id)


def test_extension_moves_the_deadline_only_when_approved(
    session: Session, staff: dict[str, Staff]
) -> None:
    case = new_case(session)  # 06 class: 1 working day → Tue 2026-03-03 18:00 local
    due = case.due_at
    h = staff["dongcheng"].actor
    extensions.request_extension(
        session, actor=h, now=NOW, case_id=case.id, amount=2, unit="working_days", reason="需要协调"
    )
    with pytest.raises(Conflict):
        extensions.request_extension(
            session, actor=h, now=NOW, case_id=case.id, amount=1, unit="working_days", reason="再延"
        )
    assert case.due_at == due
    with pytest.raises(PermissionDenied):
        extensions.decide_extension(session, actor=h, now=NOW, case_id=case.id, approve=True)
    extensions.decide_extension(
        session, actor=staff["dispatcher"].actor, now=NOW, case_id=case.id, approve=True
    )
    assert due is not None and case.due_at == due + timedelta(days=2)  # Thu 2026-03-05 18:00


def test_park_merge_and_void(session: Session, staff: dict[str, Staff]) -> None:
    parked = new_case(session)
    verbs.park_case(
        session,
        actor=staff["dispatcher"].actor,
        now=NOW,
        case_id=parked.id,
        reason="需市里统筹资金",
    )
    assert parked.status == "parked" and parked.due_at is None
    verbs.unpark_case(session, actor=staff["dispatcher"].actor, now=NOW, case_id=parked.id)
    assert parked.status == "in_progress" and parked.due_at is not None

    target = new_case(session)
    dup = submit_report(
        session,
        actor=SYSTEM,
        now=NOW,
        source="api",
        data=ReportIn(lat=DONGCHENG[0], lon=DONGCHENG[1], description=""),
    ).case
    verbs.merge_case(
        session, actor=staff["clerk"].actor, now=NOW, case_id=dup.id, into_case_id=target.id
    )
    assert dup.status == "merged" and dup.merged_into_id == target.id and target.supporters == 1
    with pytest.raises(InvalidInput):
        verbs.merge_case(
            session, actor=staff["clerk"].actor, now=NOW, case_id=target.id, into_case_id=target.id
        )

    junk = submit_report(
        session,
        actor=SYSTEM,
        now=NOW,
        source="api",
        data=ReportIn(lat=DONGCHENG[0], lon=DONGCHENG[1], description=""),
    ).case
    verbs.void_case(
        session, actor=staff["chief"].actor, now=NOW, case_id=junk.id, reason="测试数据"
    )
    assert junk.status == "void"


def test_reopen_only_within_the_window(session: Session, staff: dict[str, Staff]) -> None:
    case = new_case(session)
    h, insp = staff["dongcheng"].actor, staff["inspector"].actor
    verbs.start_case(session, actor=h, now=NOW, case_id=case.id)
    verbs.submit_result(session, actor=h, now=NOW, case_id=case.id, note="done")
    verbs.verify_case(session, actor=insp, now=NOW, case_id=case.id)
    with pytest.raises(Conflict) as err:
        verbs.reopen_case(
            session,
            actor=staff["chief"].actor,
            now=NOW + timedelta(days=8),
            case_id=case.id,
            reason="x",
        )
    assert err.value.code == "reopen_window_passed"


def test_manual_triage_path(session: Session, staff: dict[str, Staff]) -> None:
    case = submit_report(
        session,
        actor=SYSTEM,
        now=NOW,
        source="api",
        data=ReportIn(lat=DONGCHENG[0], lon=DONGCHENG[1], description=""),
    ).case
    assert case.status == "reported"
    with pytest.raises(InvalidInput):
        verbs.accept_case(session, actor=staff["clerk"].actor, now=NOW, case_id=case.id)
    verbs.accept_case(
        session, actor=staff["clerk"].actor, now=NOW, case_id=case.id, matter_code="09006"
    )
    assert case.stage == "dispatch" and case.due_at is not None  # 1 working hour
    verbs.register_case(session, actor=staff["chief"].actor, now=NOW, case_id=case.id)
    verbs.dispatch_case(session, actor=staff["dispatcher"].actor, now=NOW, case_id=case.id)
    assert case.status == "dispatched" and case.unit_id is not None
    n = session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
    )
    assert n == 4
