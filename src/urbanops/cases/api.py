"""Case routes: the list (with counts, map and exports), detail with timeline, workflow actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from urbanops.cases import (
    casemap,
    exports,
    extensions,
    idempotency,
    listing,
    nearby,
    queries,
    verbs,
)
from urbanops.cases.filters import FILTER_PARAMS, FilterDep, SortParam, refuse_unknown
from urbanops.cases.lifecycle import workflow_document
from urbanops.cases.listing import Sort
from urbanops.cases.schemas import (
    ActionIn,
    CandidateOut,
    CaseCounts,
    CaseDetail,
    CaseMapOut,
    CaseOut,
    CasePage,
    CaseReportOut,
    MapCell,
    MapPoint,
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
from urbanops.core.types import DbId, Line
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep, get_session
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
    A.instruct: verbs.instruct_case,
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
    request: Request,
    session: SessionDep,
    actor: StaffDep,
    f: FilterDep,
    sort: SortParam = Sort.reported_at_desc,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        Line | None, Query(max_length=400, description="`next_cursor` of the page before")
    ] = None,
) -> CasePage:
    """A page of the cases the caller may read; the next page is asked for with `cursor`."""
    refuse_unknown(request, FILTER_PARAMS | {"sort", "page_size", "cursor"})
    page = listing.list_page(session, actor, f, sort=sort, page_size=page_size, cursor=cursor)
    return CasePage(
        items=[case_out(c) for c in page.items],
        total=page.total,
        total_is_estimate=page.total_is_estimate,
        page=page.page,
        page_size=page_size,
        next_cursor=page.next_cursor,
    )


@router.get("/counts", response_model=CaseCounts)
def case_counts(
    request: Request, session: SessionDep, actor: StaffDep, now: NowDep, f: FilterDep
) -> CaseCounts:
    """Exact counts of the matching cases: by status, by town, overdue, due within 24 h."""
    refuse_unknown(request, FILTER_PARAMS)
    counts = listing.case_counts(session, actor, f, now=now)
    return CaseCounts.model_validate(counts, from_attributes=True)


@router.get("/map", response_model=CaseMapOut)
def case_map(
    request: Request,
    session: SessionDep,
    actor: StaffDep,
    f: FilterDep,
    zoom: Annotated[int, Query(ge=0, le=22, description="the web map's zoom level")],
    bbox: Annotated[
        Line | None, Query(max_length=120, description="w,s,e,n in WGS-84 degrees")
    ] = None,
) -> CaseMapOut:
    """h3 clusters below zoom 15 (resolution by zoom), the cases themselves from zoom 15."""
    refuse_unknown(request, FILTER_PARAMS | {"zoom", "bbox"})
    box = casemap.BBox.parse(bbox) if bbox else None
    found = casemap.case_map(session, actor, f, zoom=zoom, bbox=box)
    return CaseMapOut(
        kind="points" if found.resolution is None else "cells",
        resolution=found.resolution,
        cells=[MapCell(**c) for c in found.cells],
        points=[MapPoint(**p) for p in found.points],
        capped=found.capped,
        limit=casemap.POINT_LIMIT,
    )


EXPORTS: Mapping[str, tuple[str, Callable[[exports.Export], Iterator[bytes]]]] = {
    "csv": ("text/csv; charset=utf-8", exports.csv_chunks),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.xlsx_chunks,
    ),
    "geojson": ("application/geo+json", exports.geojson_chunks),
}


def _export(
    fmt: str, request: Request, session: Session, actor: Any, f: Any, sort: Sort, now: datetime
) -> StreamingResponse:
    refuse_unknown(request, FILTER_PARAMS | {"sort"})
    export = exports.prepare(session, actor, f, sort)
    media_type, chunks = EXPORTS[fmt]
    day = now.astimezone(exports.LOCAL).strftime("%Y%m%d")
    disposition = (
        f"attachment; filename=\"cases-{day}.{fmt}\"; filename*=UTF-8''{quote(f'案件-{day}.{fmt}')}"
    )
    return StreamingResponse(
        chunks(export), media_type=media_type, headers={"Content-Disposition": disposition}
    )


EXPORT_DOC = "Streamed; the list's filters and sort, within the caller's scope (at most 200,000)."
# the rows are read while the response streams, after the route has returned: the session must
# stay open until the response is sent (a request-scoped dependency), not end with the route
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


class ExportFormat(StrEnum):
    """The file formats of an export (`/export.{fmt}`)."""

    csv = "csv"  # UTF-8 with BOM, Chinese headers
    xlsx = "xlsx"  # an Excel workbook, one sheet, Chinese headers
    geojson = "geojson"  # a FeatureCollection of points


assert set(EXPORTS) == set(ExportFormat), "every export format has its writer"


@router.get(
    "/export.{fmt}",
    response_class=StreamingResponse,
    description=EXPORT_DOC
    + " `csv`: UTF-8 with BOM, Chinese headers; `xlsx`: an Excel workbook (one sheet, Chinese"
    " headers); `geojson`: a FeatureCollection of points.",
    responses={
        200: {
            "content": {media_type: {} for media_type, _ in EXPORTS.values()},
            "description": "the file, as an attachment",
        }
    },
)
def export_cases(
    fmt: ExportFormat,
    request: Request,
    session: StreamSessionDep,
    actor: StaffDep,
    now: NowDep,
    f: FilterDep,
    sort: SortParam = Sort.reported_at_desc,
) -> StreamingResponse:
    """The matching cases as a file: CSV, Excel or GeoJSON."""
    return _export(fmt.value, request, session, actor, f, sort, now)


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
    response: Response,
    body: ActionIn | None = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="the same key again answers as the first time and takes no second action",
        ),
    ] = None,
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

    def take() -> CaseDetail:
        VERBS[verb](session, actor=actor, now=now, case_id=case_id, **arguments)
        session.flush()
        return queries.case_detail(session, actor, case_id)

    answer, replayed = idempotency.once(
        session,
        actor=actor,
        now=now,
        key=idempotency_key,
        case_id=case_id,
        action=str(verb),
        arguments=arguments,
        take=take,
        answer_type=CaseDetail,
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


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
