"""The citizen app's report routes (全莞拍): photos, a report, the citizen's reports, a case as
its reporter sees it, rating it and saying it is not fixed.

Sign-in and the profile are in `urbanops.identity.citizen_api`, the inbox in
`urbanops.notifications.citizen_api`, the service stations in `urbanops.areas.citizen_api`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Request, Response, UploadFile

from urbanops.cases import verbs
from urbanops.core.settings import get_settings
from urbanops.core.storage import photo_store
from urbanops.core.types import DbId
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity import citizens
from urbanops.identity.deps import CitizenDep
from urbanops.reports import photos, queries
from urbanops.reports.api import report_out
from urbanops.reports.schemas import (
    CitizenReportIn,
    DisputeIn,
    MyCaseOut,
    PhotoOut,
    PublicCaseOut,
    RateIn,
    ReportIn,
    ReportOut,
)
from urbanops.reports.service import record_origin, submit_report

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES)


@router.post("/photos", response_model=PhotoOut, status_code=201)
def upload_photo(
    session: SessionDep,
    now: NowDep,
    citizen: CitizenDep,
    photo: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC")],
) -> PhotoOut:
    data = photo.file.read(get_settings().intake.max_photo_bytes + 1)
    row = photos.store_photo(session, data, now=now, citizen_id=citizen.id)
    store = photo_store()
    gps = (
        {"lat": row.gps_lat, "lon": row.gps_lon}
        if row.gps_lat is not None and row.gps_lon is not None
        else None
    )
    return PhotoOut(
        id=row.id,
        url=store.url(row.key),
        thumb_url=store.url(row.thumb_key),
        width=row.width,
        height=row.height,
        gps=gps,
    )


@router.post("/reports", response_model=ReportOut, status_code=201)
def create_report(
    session: SessionDep,
    now: NowDep,
    citizen: CitizenDep,
    body: CitizenReportIn,
    request: Request,
    response: Response,
    x_device_id: Annotated[
        str | None,
        Header(
            max_length=100,
            pattern=r"^[\x21-\x7e]+$",
            description="the app's own random id, kept on the phone (rewards' per-device caps)",
        ),
    ] = None,
) -> ReportOut:
    """A report from the app: 201 for a new one, 200 for a repeated `idempotency_key`."""
    data = ReportIn(
        lat=body.lat,
        lon=body.lon,
        datum=body.datum,
        description=body.description,
        category_code=body.category_code,
        matter_code=body.matter_code,
        address=body.address,
        idempotency_key=body.idempotency_key,
        media=photos.photo_urls(session, body.photo_ids, citizen_id=citizen.id),
        reporter_name=citizen.nickname,
    )
    result = submit_report(
        session,
        actor=citizens.citizen_actor(citizen),
        now=now,
        data=data,
        source="citizen",
        citizen_id=citizen.id,
    )
    if result.outcome == "replayed":
        response.status_code = 200
    else:
        ip = request.client.host if request.client else None
        record_origin(session, result.report, device_id=x_device_id, ip=ip, now=now)
    return report_out(session, result)


@router.get("/reports", response_model=list[MyCaseOut])
def my_reports(session: SessionDep, citizen: CitizenDep) -> list[MyCaseOut]:
    return queries.my_reports(session, citizen.id)


@router.get("/cases/{case_id}", response_model=PublicCaseOut)
def case_detail(
    session: SessionDep, now: NowDep, citizen: CitizenDep, case_id: DbId
) -> PublicCaseOut:
    return queries.own_case(session, case_id, citizen_id=citizen.id, now=now)


@router.post("/cases/{case_id}/rate", response_model=PublicCaseOut)
def rate(
    session: SessionDep, now: NowDep, citizen: CitizenDep, case_id: DbId, body: RateIn
) -> PublicCaseOut:
    verbs.rate_case(
        session,
        actor=citizens.citizen_actor(citizen),
        now=now,
        case_id=case_id,
        rating=body.rating,
        comment=body.comment,
    )
    return queries.citizen_case(session, case_id, citizen_id=citizen.id, now=now)


@router.post("/cases/{case_id}/dispute", response_model=PublicCaseOut)
def dispute(
    session: SessionDep, now: NowDep, citizen: CitizenDep, case_id: DbId, body: DisputeIn
) -> PublicCaseOut:
    """The citizen says it is not fixed: within the reopen window the case reopens for rework,
    with the citizen's photos (the window and the blank-reason check are the reopen verb's)."""
    verbs.reopen_case(
        session,
        actor=citizens.citizen_actor(citizen),
        now=now,
        case_id=case_id,
        reason=body.reason,
        photos=photos.photo_urls(session, body.photo_ids, citizen_id=citizen.id),
    )
    return queries.citizen_case(session, case_id, citizen_id=citizen.id, now=now)
