"""Undoing a wrong duplicate match: a supporter report is split out into a case of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from urbanops.cases import service as cases
from urbanops.cases.models import CaseEvent
from urbanops.cases.workflow import ACTION_ROLES, CaseAction
from urbanops.core.errors import Conflict, NotFound, PermissionDenied
from urbanops.identity.roles import SYSTEM, Actor, ActorKind, Role
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import IntakeResult, submit_report


def split_report(
    session: Session, *, actor: Actor, now: datetime, case_id: int, report_id: int
) -> IntakeResult:
    """Run the report through intake again without duplicate detection and move it there."""
    if actor.kind is not ActorKind.staff or not (
        Role.admin in actor.roles or actor.roles & ACTION_ROLES[CaseAction.split_off]
    ):
        raise PermissionDenied(
            "您的角色无权拆分案件", code="role_not_allowed", message_en="your role may not split"
        )
    original = session.scalars(
        select(Report).where(Report.id == report_id, Report.case_id == case_id).with_for_update()
    ).one_or_none()
    if original is None:
        raise NotFound(
            "该案件下没有这条上报",
            code="report_not_found",
            message_en="no such report in this case",
        )
    if not original.is_supporter:
        raise Conflict(
            "这条上报是案件的首报，不能拆分",
            code="not_a_supporter",
            message_en="only a report that joined the case can be split off",
        )
    old_case = cases.get_case(session, case_id, for_update=True)
    data = ReportIn(
        lat=original.raw_lat,
        lon=original.raw_lon,
        datum=original.datum,
        description=original.description,
        matter_code=original.matter_code,
        category_code=original.category_code,
        media=list(original.media),
        reporter_name=original.reporter_name,
        reporter_phone=original.reporter_phone,
    )
    result = submit_report(
        session,
        actor=SYSTEM,
        now=now,
        data=data,
        source=original.source,
        citizen_id=original.reporter_citizen_id,
        check_duplicates=False,
    )
    # the original report (with its submitter, time and key) belongs to the new case
    duplicate_row = result.report
    original.case_id, original.is_supporter = result.case.id, False
    session.execute(
        update(CaseEvent)
        .where(CaseEvent.case_id == result.case.id, CaseEvent.action == "submit")
        .values(
            data={
                "source": original.source,
                "report_id": original.id,
                "split_from": old_case.number,
            }
        )
    )
    session.delete(duplicate_row)
    old_case.supporters = max(0, old_case.supporters - 1)
    cases.record(
        session,
        old_case,
        CaseAction.split_off,
        actor=actor,
        now=now,
        from_status=old_case.status,
        data={
            "report_id": original.id,
            "new_case_id": result.case.id,
            "new_number": result.case.number,
        },
        public=False,
    )
    session.flush()
    return IntakeResult(
        result.case, original, result.outcome, result.location, result.unit_name, result.suggestions
    )
