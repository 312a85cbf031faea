"""Undoing a wrong duplicate match: a supporter report is split out into a case of its own.

Nothing is rewritten: the old case gets a `split` row (one supporter fewer), the report moves
to a new case whose `submit` row names the case it came from, and the new case runs the same
first steps as any new case (dispatched at once when it can be).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import intake
from urbanops.cases.queries import get_case
from urbanops.cases.timeline import apply, check
from urbanops.cases.workflow import CaseAction
from urbanops.core.errors import Conflict, NotFound
from urbanops.core.geo import Datum
from urbanops.identity.roles import Actor
from urbanops.reports.models import Report
from urbanops.reports.service import IntakeResult


def split_report(
    session: Session, *, actor: Actor, now: datetime, case_id: int, report_id: int
) -> IntakeResult:
    """Move a supporter report of `case_id` into a new case of its own."""
    old_case = get_case(session, case_id, for_update=True)
    check(actor, old_case, CaseAction.split_off)
    report = session.scalars(
        select(Report).where(Report.id == report_id, Report.case_id == case_id).with_for_update()
    ).one_or_none()
    if report is None:
        raise NotFound(
            "该案件下没有这条上报",
            code="report_not_found",
            message_en="no such report in this case",
        )
    if not report.is_supporter:
        raise Conflict(
            "这条上报是案件的首报，不能拆分",
            code="not_a_supporter",
            message_en="only a report that joined the case can be split off",
        )
    _, _, location = areas.locate(session, report.raw_lat, report.raw_lon, Datum(report.datum))
    matter = report.matter_code or old_case.matter_code
    new, outcome, unit_name = intake.open_case(
        session,
        report,
        location,
        matter,
        now=now,
        actor=actor,
        submit_data={"split_from": old_case.number, "split_from_case_id": old_case.id},
    )
    report.is_supporter = False
    intake.store(session, new, report)
    apply(
        session,
        old_case,
        CaseAction.split_off,
        actor=actor,
        now=now,
        data={"report_id": report.id, "new_case_id": new.case.id, "new_number": new.case.number},
        changes={"supporters": max(0, old_case.supporters - 1)},
    )
    session.flush()
    return IntakeResult(new.case, report, outcome, location, unit_name, [])
