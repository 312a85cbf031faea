"""Case routes: list, detail with timeline, workflow actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query

from urbanops.cases import extensions, nearby, queries, verbs
from urbanops.cases.lifecycle import workflow_document
from urbanops.cases.schemas import (
    ActionIn,
    CandidateOut,
    CaseDetail,
    CaseOut,
    CasePage,
    CaseReportOut,
    SplitOut,
)
from urbanops.cases.workflow import (
    API_ACTIONS,
    REGISTRY,
    STATUS_LABELS_ZH,
    CaseAction,
    CaseStatus,
)
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.core.types import DbId, IntId, Line, SaneDatetime
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)
workflow_router = APIRouter(prefix="/api/v1/workflow", tags=["cases"])
A = CaseAction

# the service that takes each action of the staff API; its keyword arguments are the fields the
# registry lists for the action (`ActionIn` holds their types and limits)
VERBS: Mapping[CaseAction, Callable[..., object]] = {
    A.accept: verbs.accept_case,
    A.register: verbs.register_case,
    A.dispatch: verbs.dispatch_case,
    A.redispatch: verbs.redispatch_case,
    A.start: verbs.start_case,
    A.return_: verbs.return_case,
    A.park: verbs.park_case,
    A.unpark: verbs.unpark_case,
    A.submit_result: verbs.submit_result,
    A.verify: verbs.verify_case,
    A.rework: verbs.rework_case,
    A.reopen: verbs.reopen_case,
    A.merge: verbs.merge_case,
    A.void: verbs.void_case,
    A.refer: verbs.refer_case,
    A.rate: verbs.rate_case,
    A.urge: partial(verbs.supervise, action=A.urge),
    A.escalate: partial(verbs.supervise, action=A.escalate),
    A.request_extension: extensions.request_extension,
    A.approve_extension: partial(extensions.decide_extension, approve=True),
    A.reject_extension: partial(extensions.decide_extension, approve=False),
}
assert set(VERBS) == API_ACTIONS, "every action the registry opens to the API has a service"


@workflow_router.get("")
def workflow() -> dict[str, Any]:
    """The case lifecycle: statuses, actions, who may take them, what they ask for."""
    return workflow_document()


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
    suspected: Annotated[
        bool | None,
        Query(description="true: 疑似非城管事项, still in triage with a suspected channel"),
    ] = None,
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
        suspected=suspected,
    )
    rows, total = queries.list_cases(session, actor, f, page=page, page_size=page_size)
    return CasePage(items=[case_out(c) for c in rows], total=total, page=page, page_size=page_size)


@router.get("/{case_id}", response_model=CaseDetail)
def case_detail(session: SessionDep, actor: StaffDep, case_id: DbId) -> CaseDetail:
    """A case with its timeline and the actions the caller may take on it now."""
    return queries.case_detail(session, actor, case_id)


def action_arguments(action: CaseAction, body: ActionIn) -> dict[str, Any]:
    """The verb's keyword arguments: the fields the registry lists for `action` that the body
    gives; a field it does not list, or a required one missing, is a 422 naming the field."""
    spec = REGISTRY[action]
    names = {f.name for f in spec.fields}
    given = body.model_fields_set
    for name in sorted(given - names):
        wanted = "、".join(f.label_zh for f in spec.fields) or "无需填写任何内容"
        raise InvalidInput(
            f"“{spec.label_zh}”不需要填写 {name}（可填写：{wanted}）",
            code="unexpected_field",
            message_en=f"{action} takes no field {name!r} (it takes: {', '.join(sorted(names)) or 'none'})",
            extra={"field": name, "fields": sorted(names)},
        )
    for f in spec.fields:
        if f.required and f.name not in given:
            raise InvalidInput(
                f"请填写{f.label_zh}",
                code="missing_field",
                message_en=f"{f.name} is required",
                extra={"field": f.name},
            )
    return {name: getattr(body, name) for name in given}


@router.post("/{case_id}/actions/{action}", response_model=CaseDetail)
def case_action(
    session: SessionDep,
    now: NowDep,
    actor: StaffDep,
    case_id: DbId,
    action: str,
    body: ActionIn | None = None,
) -> CaseDetail:
    """Take one action on a case (the fields it needs: `GET /api/v1/workflow`)."""
    try:
        verb = CaseAction(action)
    except ValueError:
        verb = None
    if verb is None or verb not in API_ACTIONS:
        raise NotFound(
            f"没有名为“{action}”的操作",
            code="unknown_action",
            message_en=f"unknown action {action!r}",
            extra={"actions": sorted(str(a) for a in API_ACTIONS)},
        )
    arguments = action_arguments(verb, body or ActionIn())
    VERBS[verb](session, actor=actor, now=now, case_id=case_id, **arguments)
    session.flush()
    return queries.case_detail(session, actor, case_id)


@router.get("/{case_id}/merge-candidates", response_model=list[CandidateOut])
def merge_candidates(session: SessionDep, actor: StaffDep, case_id: DbId) -> list[CandidateOut]:
    """Open cases nearby (same matter class, within 200 m, recent) this one may be merged into."""
    names = catalogue.snapshot(session).matters
    out = []
    for c in nearby.merge_candidates(session, actor, case_id):
        item = CandidateOut.model_validate(
            {**case_out(c.case).model_dump(), "distance_m": round(c.distance_m, 1)}
        )
        item.matter_name = names[c.case.matter_code].name if c.case.matter_code in names else None
        out.append(item)
    return out


@router.get("/{case_id}/reports", response_model=list[CaseReportOut])
def case_reports(session: SessionDep, actor: StaffDep, case_id: DbId) -> list[CaseReportOut]:
    """The reports of a case (the first one and its supporters); phone numbers masked."""
    return queries.case_reports(session, actor, case_id)


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
