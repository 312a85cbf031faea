"""Everything Open311's GET answers: discovery, the services and their definition, cases as
service requests, and their public timeline as request updates (mySociety extension).

A service request is a case, identified by its number: `open` for every status before 结案,
`closed` for 结案 and 作废. Merged cases are left out of searches (the case they joined stands
for them) but still answer when asked for by id. Only cases from public sources are published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, any_, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session, aliased

from urbanops.areas import service as areas
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import (
    ACTION_LABELS_ZH,
    OPEN_STATUSES,
    STATUS_LABELS_ZH,
    CaseAction,
    CaseStatus,
)
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import NotFound
from urbanops.core.settings import get_settings
from urbanops.open311.definition import ATTRIBUTES, CHANGESET
from urbanops.open311.formats import absolute_url, local_text, w3c
from urbanops.open311.schemas import (
    FORMATS,
    SPECIFICATION,
    Discovery,
    Endpoint,
    RequestQuery,
    RequestUpdate,
    Service,
    ServiceDefinition,
    ServiceRequest,
    UpdateQuery,
)
from urbanops.reports.models import Report
from urbanops.reports.photos import media_urls

S, A = CaseStatus, CaseAction

# sources whose cases are published; enterprise direct-line matters and 12345 work orders are
# not public records
PUBLIC_SOURCES = ("citizen", "inspector", "camera", "api", "open311", "staff")
OPEN_VALUES = tuple(str(s) for s in OPEN_STATUSES)
CLOSED_VALUES = (str(S.closed), str(S.void), str(S.referred))

# mySociety extended statuses of a timeline event: by action first, else by the status it led to
UPDATE_STATUS_BY_ACTION: Mapping[str, str] = {
    A.merge: "duplicate",
    A.return_: "not_councils_responsibility",
    A.reopen: "reopen",
    A.rework: "reopen",
    A.approve_extension: "action_scheduled",
    A.verify: "fixed",
    A.void: "closed",
    A.refer: "not_councils_responsibility",
}
UPDATE_STATUS_BY_STATUS: Mapping[str, str] = {
    S.reported: "open",
    S.accepted: "open",
    S.registered: "open",
    S.dispatched: "in_progress",
    S.in_progress: "in_progress",
    S.returned: "not_councils_responsibility",
    S.parked: "action_scheduled",
    S.awaiting_verification: "investigating",
    S.closed: "fixed",
    S.reopened: "reopen",
    S.merged: "duplicate",
    S.void: "closed",
    S.referred: "not_councils_responsibility",
}


def _open311_status(status: CaseStatus) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def _notice(row: Row[Any], status: CaseStatus, unit: str | None) -> str:
    if status is S.merged:
        return f"已并入案件 {row.merged_into} / merged into case {row.merged_into}"
    if status is S.void:
        return "已作废，不再处理 / void: no further action"
    if status is S.referred:
        return (
            "非城市管理事项，已转其他部门办理 / not urban management: referred to another channel"
        )
    if status is S.closed:
        return "已办结 / resolved"
    if status is S.awaiting_verification:
        return "已处置，待核查 / handled; awaiting verification"
    if status is S.returned or unit is None:
        return "待指挥中心派遣处置单位 / awaiting dispatch by the command centre"
    if row.stage == "handle" and row.due_at is not None:
        return f"由{unit}处置，时限 {local_text(row.due_at)} / handled by {unit}, due {w3c(row.due_at)}"
    return f"由{unit}处置 / handled by {unit}"


def _newest_public_note() -> ScalarSelect[str]:
    """The note of the case's newest public timeline row that has one (a correlated subquery)."""
    return (
        select(CaseEvent.note)
        .where(CaseEvent.case_id == Case.id, CaseEvent.public.is_(True), CaseEvent.note != "")
        .order_by(CaseEvent.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def _opening_media() -> ScalarSelect[list[Any]]:
    """The media of the report that opened the case (a correlated subquery)."""
    return (
        select(Report.media)
        .where(Report.case_id == Case.id, Report.is_supporter.is_(False))
        .order_by(Report.id)
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def _any(values: Sequence[str]) -> Any:
    """`= ANY(ARRAY[…])`: plain parameters, where `IN` would re-render the statement's text on
    every execution (expanding parameters)."""
    return any_(array(values))


def _select_requests() -> Select[*tuple[Any, ...]]:
    """Public cases with all a service request shows, in one statement whatever the page size:
    the columns shown, the number of the case a merged one joined, the newest public note and
    the opening photos. Unit, town and matter names come from cached maps."""
    target = aliased(Case, name="merged_target")
    return (
        select(
            Case.id,
            Case.number,
            Case.status,
            Case.matter_code,
            Case.description,
            Case.address,
            Case.lat,
            Case.lon,
            Case.town_code,
            Case.unit_id,
            Case.stage,
            Case.reported_at,
            Case.updated_at,
            Case.closed_at,
            Case.due_at,
            target.number.label("merged_into"),
            _newest_public_note().label("note"),
            _opening_media().label("media"),
        )
        .outerjoin(target, target.id == Case.merged_into_id)
        .where(Case.source == _any(PUBLIC_SOURCES))
    )


# built once: a page is then a few `where` clauses on it and a cached compilation
REQUESTS = _select_requests()


def _request(
    session: Session, snap: catalogue.Snapshot, row: Row[Any], base_url: str
) -> ServiceRequest:
    status = CaseStatus(row.status)
    unit = areas.unit_name(session, row.unit_id) if row.unit_id is not None else None
    label = STATUS_LABELS_ZH[status]
    if status is S.merged:
        status_notes = f"{label}：并入案件 {row.merged_into}"
    else:
        status_notes = f"{label}：{row.note}" if row.note else label
    matter = snap.matters.get(row.matter_code or "")
    updated = row.closed_at if status is S.closed and row.closed_at else row.updated_at
    town = areas.town_name(session, row.town_code) if row.town_code else None
    first_media = next(iter(media_urls(row.media)), None)
    return ServiceRequest(
        service_request_id=row.number,
        status=_open311_status(status),
        status_notes=status_notes,
        service_name=matter.name if matter else None,
        service_code=row.matter_code or "",
        description=row.description or None,
        agency_responsible=unit,
        service_notice=_notice(row, status, unit),
        requested_datetime=w3c(row.reported_at),
        updated_datetime=w3c(updated),
        expected_datetime=w3c(row.due_at) if row.stage == "handle" and row.due_at else None,
        address=row.address or town,
        address_id=None,
        zipcode=None,
        lat=row.lat,
        long=row.lon,
        media_url=absolute_url(base_url, first_media),
    )


def find_requests(session: Session, query: RequestQuery, *, base_url: str) -> list[ServiceRequest]:
    """GET requests, newest first; ids override every other filter. One statement per page."""
    stmt = REQUESTS
    if query.ids:
        stmt = stmt.where(Case.number == _any(query.ids))
    else:
        assert query.window is not None
        stmt = stmt.where(
            Case.merged_into_id.is_(None),
            Case.status != str(S.merged),
            Case.reported_at >= query.window.start,
            Case.reported_at <= query.window.end,
        )
        if query.service_codes:
            stmt = stmt.where(Case.matter_code == _any(query.service_codes))
        if query.statuses:
            wanted = [
                *(OPEN_VALUES if "open" in query.statuses else ()),
                *(CLOSED_VALUES if "closed" in query.statuses else ()),
            ]
            stmt = stmt.where(Case.status == _any(wanted))
        stmt = stmt.offset((query.page - 1) * query.page_size).limit(query.page_size)
    rows = session.execute(stmt.order_by(Case.reported_at.desc(), Case.id.desc())).all()
    snap = catalogue.snapshot(session)
    return [_request(session, snap, row, base_url) for row in rows]


def get_request(session: Session, request_id: str, *, base_url: str) -> ServiceRequest:
    row = session.execute(REQUESTS.where(Case.number == request_id)).one_or_none()
    if row is None:
        raise NotFound(
            f"服务请求“{request_id}”不存在",
            code="open311_unknown_request",
            message_en=f"no service request {request_id!r}",
        )
    return _request(session, catalogue.snapshot(session), row, base_url)


# --- discovery, services and their definition ------------------------------------------------------


def discovery(base_url: str) -> Discovery:
    """Where this server's endpoint is, and what it speaks."""
    url = base_url.rstrip("/") + "/open311/v2/"
    cfg = get_settings().open311
    return Discovery(
        changeset=CHANGESET,
        contact=cfg.contact,
        key_service=cfg.key_service,
        endpoints=[Endpoint(SPECIFICATION, url, CHANGESET, cfg.endpoint_type, list(FORMATS))],
    )


def services(session: Session) -> list[Service]:
    """The catalogue as services: an active matter 管理事项 is a service (its code, its name,
    its 大类 as `group`, its citizen categories as keywords); from the cached snapshot."""
    snap = catalogue.snapshot(session)
    categories: dict[str, list[str]] = {}
    for category in snap.categories.values():
        for code in category.matters:
            categories.setdefault(code, []).append(category.name_zh)
    out = []
    for matter in sorted(snap.matters.values(), key=lambda m: m.code):
        keywords = [matter.class_name, *categories.get(matter.code, [])]
        out.append(
            Service(
                service_code=matter.code,
                service_name=matter.name,
                description=f"{matter.class_name}：{matter.name}（管理事项 {matter.code}）",
                metadata=bool(ATTRIBUTES),
                type="realtime",
                keywords=",".join(k for k in dict.fromkeys(keywords) if k),
                group=matter.class_name,
            )
        )
    return out


def definition(session: Session, service_code: str) -> ServiceDefinition:
    """The attributes of a service (the same for all); 404 for an unknown code."""
    if service_code not in catalogue.snapshot(session).matters:
        raise NotFound(
            f"服务代码“{service_code}”不存在",
            code="open311_unknown_service",
            message_en=f"unknown service_code {service_code!r}",
        )
    return ServiceDefinition(service_code=service_code, attributes=list(ATTRIBUTES))


# --- updates (mySociety extension) ------------------------------------------------------------------


def _update_description(event: CaseEvent) -> str:
    try:
        text = ACTION_LABELS_ZH[CaseAction(event.action)]
    except ValueError:
        text = event.action
    data = event.data or {}
    if event.action in (A.dispatch, A.redispatch) and data.get("unit_name"):
        text = f"{text}至{data['unit_name']}"
    elif event.action == A.merge and data.get("into_number"):
        text = f"{text}：并入案件 {data['into_number']}"
    return f"{text}：{event.note}" if event.note else text


def update_status(action: str, to_status: str) -> str:
    return UPDATE_STATUS_BY_ACTION.get(action) or UPDATE_STATUS_BY_STATUS.get(to_status, "open")


def find_updates(session: Session, query: UpdateQuery, *, base_url: str) -> list[RequestUpdate]:
    """One update per public timeline event in the window, oldest first."""
    rows = session.execute(
        select(CaseEvent, Case.number)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.public.is_(True),
            Case.source == _any(PUBLIC_SOURCES),
            CaseEvent.at >= query.window.start,
            CaseEvent.at <= query.window.end,
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    ).all()
    return [
        RequestUpdate(
            update_id=str(event.id),
            service_request_id=number,
            status=update_status(event.action, event.to_status),
            updated_datetime=w3c(event.at),
            description=_update_description(event),
            media_url=absolute_url(base_url, next(iter(media_urls(event.attachments)), None)) or "",
            external_status_code=event.to_status,
        )
        for event, number in rows
    ]
