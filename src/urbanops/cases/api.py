"""Case routes: list, detail with timeline, workflow actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from urbanops.areas import service as areas
from urbanops.cases import queries
from urbanops.cases import service as svc
from urbanops.cases.schemas import ActionIn, CaseDetail, CaseOut, CasePage, EventOut
from urbanops.cases.workflow import (
    ACTION_LABELS_ZH,
    STATUS_LABELS_ZH,
    CaseAction,
    CaseStatus,
    allowed_actions,
)
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput, NotFound, PermissionDenied
from urbanops.core.types import DbId, IntId, Line, SaneDatetime
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.identity.roles import Actor
from urbanops.reports.photos import media_urls

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


def case_out(case: Any) -> CaseOut:
    out = CaseOut.model_validate(case)
    out.status_label = STATUS_LABELS_ZH[CaseStatus(case.status)]
    return out


@router.get("", response_model=CasePage)
def list_cases(
    session: SessionDep,
    actor: StaffDep,
    status: Annotated[
        Line | None, Query(max_length=300, description="comma-separated statuses")
    ] = None,
    town_code: Annotated[Line | None, Query(max_length=9)] = None,
    unit_id: IntId | None = None,
    matter_code: Annotated[Line | None, Query(max_length=5)] = None,
    source: Annotated[Line | None, Query(max_length=16)] = None,
    overdue: bool | None = None,
    number: Annotated[Line | None, Query(max_length=20)] = None,
    reported_from: SaneDatetime | None = None,
    reported_to: SaneDatetime | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    statuses = [s.strip() for s in status.split(",") if s.strip()] if status else None
    for s in statuses or ():
        if s not in CaseStatus.__members__:
            raise InvalidInput(
                f"未知状态“{s}”", code="unknown_status", message_en=f"unknown status {s!r}"
            )
    f = queries.CaseFilter(
        status=statuses,
        town_code=town_code,
        unit_id=unit_id,
        matter_code=matter_code,
        source=source,
        overdue=overdue,
        number=number,
        reported_from=reported_from,
        reported_to=reported_to,
    )
    rows, total = queries.list_cases(session, actor, f, page=page, page_size=page_size)
    return CasePage(items=[case_out(c) for c in rows], total=total, page=page, page_size=page_size)


def _visible(actor: Actor, case: Any) -> None:
    """403 for a case outside what the caller's roles and unit allow (as for its actions)."""
    queries.ensure_visible(actor, case)


@router.get("/{case_id}", response_model=CaseDetail)
def case_detail(session: SessionDep, actor: StaffDep, case_id: DbId) -> CaseDetail:
    timeline = svc.case_timeline(session, case_id)
    case = timeline.case
    _visible(actor, case)
    detail = CaseDetail.model_validate(case)
    detail.status_label = STATUS_LABELS_ZH[CaseStatus(case.status)]
    snap = catalogue.snapshot(session)
    if case.matter_code and case.matter_code in snap.matters:
        detail.matter_name = snap.matters[case.matter_code].name
    detail.unit_name = areas.unit_name(session, case.unit_id) if case.unit_id else None
    detail.town_name = areas.town_name(session, case.town_code) if case.town_code else None
    detail.allowed_actions = [
        str(a)
        for a in allowed_actions(CaseStatus(case.status))
        if a in PUBLIC_ACTIONS and _may(actor, case, a)
    ]
    detail.timeline = []
    for e in timeline.events:
        ev = EventOut.model_validate(e)
        ev.action_label = ACTION_LABELS_ZH.get(CaseAction(e.action), e.action)
        ev.attachments = list(media_urls(e.attachments))  # photo ids kept, URLs shown
        detail.timeline.append(ev)
    return detail


def _may(actor: Actor, case: Any, action: CaseAction) -> bool:
    """Whether the caller's role and unit allow the action (what the console offers)."""
    try:
        svc.authorize(actor, case, action)
    except PermissionDenied:
        return False
    return True


def _run(
    action: CaseAction, session: Any, actor: Actor, now: datetime, case_id: int, body: ActionIn
) -> None:
    kw: dict[str, Any] = {"actor": actor, "now": now, "case_id": case_id}
    match action:
        case CaseAction.accept:
            svc.accept_case(session, matter_code=body.matter_code, **kw)
        case CaseAction.register:
            svc.register_case(session, **kw)
        case CaseAction.dispatch:
            svc.dispatch_case(session, unit_id=body.unit_id, **kw)
        case CaseAction.redispatch:
            svc.redispatch_case(session, unit_id=body.unit_id, note=body.note, **kw)
        case CaseAction.start:
            svc.start_case(session, **kw)
        case CaseAction.return_:
            svc.return_case(session, reason=body.reason or body.note, **kw)
        case CaseAction.park:
            svc.park_case(session, reason=body.reason or body.note, **kw)
        case CaseAction.unpark:
            svc.unpark_case(session, note=body.note, **kw)
        case CaseAction.submit_result:
            svc.submit_result(session, note=body.note, photos=body.photos, **kw)
        case CaseAction.verify:
            svc.verify_case(session, note=body.note, photos=body.photos, **kw)
        case CaseAction.rework:
            svc.rework_case(session, reason=body.reason or body.note, photos=body.photos, **kw)
        case CaseAction.reopen:
            svc.reopen_case(session, reason=body.reason or body.note, photos=body.photos, **kw)
        case CaseAction.merge:
            if body.into_case_id is None:
                raise InvalidInput(
                    "请指定并入的案件",
                    code="missing_field",
                    message_en="into_case_id is required",
                    extra={"field": "into_case_id"},
                )
            svc.merge_case(session, into_case_id=body.into_case_id, note=body.note, **kw)
        case CaseAction.void:
            svc.void_case(session, reason=body.reason or body.note, **kw)
        case CaseAction.rate:
            if body.rating is None:
                raise InvalidInput(
                    "请选择 1 到 5 的评分",
                    code="missing_field",
                    message_en="rating is required",
                    extra={"field": "rating"},
                )
            svc.rate_case(session, rating=body.rating, comment=body.comment, **kw)
        case CaseAction.urge:
            svc.urge_case(session, note=body.note, **kw)
        case CaseAction.escalate:
            svc.escalate_case(session, note=body.note, **kw)
        case CaseAction.request_extension:
            svc.request_extension(
                session,
                amount=body.amount or 0,
                unit=body.unit or "working_days",
                reason=body.reason or body.note,
                **kw,
            )
        case CaseAction.approve_extension | CaseAction.reject_extension:
            svc.decide_extension(
                session, approve=action is CaseAction.approve_extension, note=body.note, **kw
            )
        case _:
            raise NotFound(
                f"没有名为“{action}”的操作",
                code="unknown_action",
                message_en=f"unknown action {action!r}",
            )


PUBLIC_ACTIONS = frozenset(CaseAction) - {
    CaseAction.submit,
    CaseAction.support,
    CaseAction.split_off,
    CaseAction.remind,
    CaseAction.mark_overdue,
}


@router.post("/{case_id}/actions/{action}", response_model=CaseDetail)
def case_action(
    session: SessionDep,
    now: NowDep,
    actor: StaffDep,
    case_id: DbId,
    action: str,
    body: ActionIn | None = None,
) -> CaseDetail:
    try:
        verb = CaseAction(action)
    except ValueError:
        verb = None
    if verb is None or verb not in PUBLIC_ACTIONS:
        raise NotFound(
            f"没有名为“{action}”的操作",
            code="unknown_action",
            message_en=f"unknown action {action!r}",
            extra={"actions": sorted(str(a) for a in PUBLIC_ACTIONS)},
        )
    _run(verb, session, actor, now, case_id, body or ActionIn())
    session.flush()
    return case_detail(session, actor, case_id)


class CaseReportOut(BaseModel):
    id: int
    source: str
    submitted_at: datetime
    description: str
    is_supporter: bool
    reporter_name: str
    phone_masked: str
    citizen_id: int | None
    media: list[str]


@router.get("/{case_id}/reports", response_model=list[CaseReportOut])
def case_reports(session: SessionDep, actor: StaffDep, case_id: DbId) -> list[CaseReportOut]:
    """The reports of a case (the first one and its supporters); phone numbers masked."""
    case = svc.get_case(session, case_id)
    _visible(actor, case)
    from urbanops.identity.citizens import mask_phone
    from urbanops.identity.models import Citizen
    from urbanops.reports.models import Report

    rows = session.execute(
        select(Report, Citizen.phone)
        .outerjoin(Citizen, Citizen.id == Report.reporter_citizen_id)
        .where(Report.case_id == case_id)
        .order_by(Report.id)
    ).all()
    return [
        CaseReportOut(
            id=r.id,
            source=r.source,
            submitted_at=r.submitted_at,
            description=r.description,
            is_supporter=r.is_supporter,
            reporter_name=r.reporter_name,
            phone_masked=mask_phone(phone or r.reporter_phone),
            citizen_id=r.reporter_citizen_id,
            media=media_urls(r.media),
        )
        for r, phone in rows
    ]


class SplitOut(BaseModel):
    case_id: int
    case_number: str
    status: str
    unit_id: int | None


@router.post("/{case_id}/reports/{report_id}/split", response_model=SplitOut)
def split_report(
    session: SessionDep, now: NowDep, actor: StaffDep, case_id: DbId, report_id: DbId
) -> SplitOut:
    """Undo a wrong duplicate match: the report becomes a case of its own."""
    from urbanops.reports.merging import split_report as split

    result = split(session, actor=actor, now=now, case_id=case_id, report_id=report_id)
    return SplitOut(
        case_id=result.case.id,
        case_number=result.case.number,
        status=result.case.status,
        unit_id=result.case.unit_id,
    )
