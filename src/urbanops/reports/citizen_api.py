"""The citizen app's API (全莞拍): sign-in by phone, photos, reports, follow, rate, dispute."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from urbanops.areas import service as areas
from urbanops.areas.models import ServiceStation
from urbanops.cases import queries as case_queries
from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.cases.workflow import ACTION_LABELS_ZH, STATUS_LABELS_ZH, CaseAction, CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput, NotFound
from urbanops.core.geo import Datum
from urbanops.core.security import cookie_secure
from urbanops.core.settings import get_settings
from urbanops.core.storage import photo_store
from urbanops.core.types import DbId, Line, Text
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep, problem
from urbanops.identity import citizens
from urbanops.identity.deps import CITIZEN_COOKIE, CitizenDep
from urbanops.notifications.models import Notification
from urbanops.reports import photos
from urbanops.reports.api import report_out
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn, ReportOut
from urbanops.reports.service import submit_report

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES)


class CodeIn(BaseModel):
    phone: Line = Field(max_length=20)


class CodeOut(BaseModel):
    expires_at: datetime
    demo_code: str | None = None


class SignInIn(BaseModel):
    phone: Line = Field(max_length=20)
    code: Line = Field(max_length=10)


class ProfileOut(BaseModel):
    id: int
    phone_masked: str
    nickname: str
    home_town_code: str | None
    language: str


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nickname: Line | None = Field(default=None, max_length=32)
    home_town_code: Line | None = Field(default=None, max_length=9)
    language: Line | None = Field(default=None, max_length=5)


class PhotoOut(BaseModel):
    id: str
    url: str
    thumb_url: str
    width: int
    height: int
    gps: dict[str, float] | None


class CitizenReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    datum: Datum = Datum.wgs84
    description: Text = Field(default="", max_length=2000)
    category_code: Line | None = Field(default=None, max_length=32)
    matter_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    address: Line = Field(default="", max_length=256)
    photo_ids: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list, max_length=9
    )
    idempotency_key: Line = Field(min_length=8, max_length=80)


class MyCaseOut(BaseModel):
    case_id: int
    number: str
    status: str
    status_label: str
    matter_name: str | None
    unit_name: str | None
    reported_at: datetime
    due_at: datetime | None
    supporter: bool
    thumb_url: str | None


class TimelineItem(BaseModel):
    at: datetime
    action: str
    label: str
    note: str
    photos: list[str]


class PublicCaseOut(BaseModel):
    case_id: int
    number: str
    status: str
    status_label: str
    matter_name: str | None
    category_code: str | None
    description: str
    unit_name: str | None
    town_name: str | None
    lat: float
    lon: float
    reported_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    before_photos: list[str]
    after_photos: list[str]
    timeline: list[TimelineItem]
    supporters: int
    mine: bool
    can_rate: bool
    can_dispute: bool
    rating: int | None
    rating_comment: str | None


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5)
    comment: Text = Field(default="", max_length=500)


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500)
    photo_ids: list[Annotated[Line, Field(max_length=2048)]] = Field(
        default_factory=list, max_length=9
    )


class NotificationOut(BaseModel):
    id: int
    case_id: int | None
    title: str
    body: str
    created_at: datetime
    read: bool


class StationOut(BaseModel):
    id: int
    name: str
    town_code: str | None
    address: str
    lat: float
    lon: float
    amenities: list[str]
    opening_hours: str
    is_demo: bool


def _profile(c: Any) -> ProfileOut:
    return ProfileOut(
        id=c.id,
        phone_masked=citizens.mask_phone(c.phone),
        nickname=c.nickname,
        home_town_code=c.home_town_code,
        language=c.language,
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/otp", response_model=CodeOut)
def ask_code(session: SessionDep, now: NowDep, body: CodeIn, request: Request) -> CodeOut:
    issued = citizens.request_code(session, phone=body.phone, ip=_client_ip(request), now=now)
    return CodeOut(expires_at=issued.expires_at, demo_code=issued.demo_code)


@router.post("/session", response_model=ProfileOut)
def sign_in(
    session: SessionDep, now: NowDep, body: SignInIn, request: Request, response: Response
) -> Any:
    result = citizens.sign_in(session, phone=body.phone, code=body.code, now=now)
    if result.error is not None:
        # the failed attempt is counted: return (and commit) rather than raise (and roll back)
        e = result.error
        return problem(
            request, e.status, e.code, "未登录", "Not signed in", e.message, e.message_en, e.extra
        )
    assert result.citizen is not None
    assert result.token is not None
    settings = get_settings()
    response.set_cookie(
        CITIZEN_COOKIE,
        result.token,
        max_age=settings.auth.citizen_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(settings),
        path="/",
    )
    return _profile(result.citizen)


@router.delete("/session", status_code=204)
def sign_out(session: SessionDep, request: Request) -> Response:
    token = request.cookies.get(CITIZEN_COOKIE)
    if token:
        citizens.sign_out(session, token)
    response = Response(status_code=204)
    response.delete_cookie(
        CITIZEN_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(get_settings()),
    )
    return response


@router.get("/me", response_model=ProfileOut)
def me(citizen: CitizenDep) -> ProfileOut:
    return _profile(citizen)


@router.patch("/me", response_model=ProfileOut)
def update_me(session: SessionDep, citizen: CitizenDep, body: ProfileIn) -> ProfileOut:
    citizens.update_profile(
        session,
        citizen,
        nickname=body.nickname,
        home_town_code=body.home_town_code,
        language=body.language,
    )
    return _profile(citizen)


@router.post("/photos", response_model=PhotoOut, status_code=201)
def upload_photo(
    session: SessionDep,
    now: NowDep,
    citizen: CitizenDep,
    photo: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC")],
) -> PhotoOut:
    limit = get_settings().intake.max_photo_bytes
    data = photo.file.read(limit + 1)
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
    session: SessionDep, now: NowDep, citizen: CitizenDep, body: CitizenReportIn, response: Response
) -> ReportOut:
    media = photos.photo_urls(session, body.photo_ids, citizen_id=citizen.id)
    data = ReportIn(
        lat=body.lat,
        lon=body.lon,
        datum=body.datum,
        description=body.description,
        category_code=body.category_code,
        matter_code=body.matter_code,
        address=body.address,
        idempotency_key=body.idempotency_key,
        media=media,
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
    return report_out(session, result)


@router.get("/reports", response_model=list[MyCaseOut])
def my_reports(session: SessionDep, citizen: CitizenDep) -> list[MyCaseOut]:
    rows = session.execute(
        select(Case, Report.is_supporter, Report.media)
        .join(Report, Report.case_id == Case.id)
        .where(Report.reporter_citizen_id == citizen.id)
        .order_by(Report.submitted_at.desc())
        .limit(200)
    ).all()
    snap = catalogue.snapshot(session)
    out = []
    for case, supporter, media in rows:
        matter = snap.matters.get(case.matter_code or "")
        out.append(
            MyCaseOut(
                case_id=case.id,
                number=case.number,
                status=case.status,
                status_label=STATUS_LABELS_ZH[CaseStatus(case.status)],
                matter_name=matter.name if matter else None,
                unit_name=areas.unit_name(session, case.unit_id) if case.unit_id else None,
                reported_at=case.reported_at,
                due_at=case.due_at,
                supporter=supporter,
                thumb_url=photos.media_url(media[0], thumb=True) if media else None,
            )
        )
    return out


def public_case(session: Any, case_id: int, citizen_id: int | None, now: datetime) -> PublicCaseOut:
    timeline = case_queries.case_timeline(session, case_id, public_only=True)
    case = timeline.case
    if case.merged_into_id is not None:
        case = case_queries.get_case(session, case.merged_into_id)
        timeline = case_queries.case_timeline(session, case.id, public_only=True)
    reports = session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.id)
    ).all()
    mine = citizen_id is not None and any(r.reporter_citizen_id == citizen_id for r in reports)
    before = [m for r in reports for m in photos.media_urls(r.media)]
    after: list[str] = []
    items = []
    for e in timeline.events:
        if e.action in ("remind", "mark_overdue", "urge", "escalate"):
            continue
        shown = photos.media_urls(e.attachments)  # photo ids kept, URLs shown
        if e.action == "submit_result":
            after = shown
        label = ACTION_LABELS_ZH.get(CaseAction(e.action), e.action)
        note = (
            e.note
            if e.action
            in ("submit_result", "verify", "rework", "reopen", "void", "return", "park", "rate")
            else ""
        )
        items.append(TimelineItem(at=e.at, action=e.action, label=label, note=note, photos=shown))
    snap = catalogue.snapshot(session)
    matter = snap.matters.get(case.matter_code or "")
    window = get_settings().intake.reopen_window_days
    is_reporter = citizen_id is not None and case.reporter_citizen_id == citizen_id
    closed = case.status == CaseStatus.closed
    return PublicCaseOut(
        case_id=case.id,
        number=case.number,
        status=case.status,
        status_label=STATUS_LABELS_ZH[CaseStatus(case.status)],
        matter_name=matter.name if matter else None,
        category_code=case.category_code,
        description=case.description,
        unit_name=areas.unit_name(session, case.unit_id) if case.unit_id else None,
        town_name=areas.town_name(session, case.town_code) if case.town_code else None,
        lat=case.lat,
        lon=case.lon,
        reported_at=case.reported_at,
        due_at=case.due_at,
        closed_at=case.closed_at,
        before_photos=before,
        after_photos=after,
        timeline=items,
        supporters=case.supporters,
        mine=mine,
        can_rate=is_reporter and closed and case.rating is None,
        can_dispute=bool(
            is_reporter and closed and case.closed_at and (now - case.closed_at).days < window
        ),
        rating=case.rating,
        rating_comment=case.rating_comment,
    )


@router.get("/cases/{case_id}", response_model=PublicCaseOut)
def case_detail(
    session: SessionDep, now: NowDep, citizen: CitizenDep, case_id: DbId
) -> PublicCaseOut:
    owned = session.scalar(
        select(Report.id).where(Report.case_id == case_id, Report.reporter_citizen_id == citizen.id)
    )
    if owned is None:
        raise NotFound(
            "没有找到您的这条上报", code="case_not_found", message_en="no such report of yours"
        )
    return public_case(session, case_id, citizen.id, now)


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
    return public_case(session, case_id, citizen.id, now)


@router.post("/cases/{case_id}/dispute", response_model=PublicCaseOut)
def dispute(
    session: SessionDep, now: NowDep, citizen: CitizenDep, case_id: DbId, body: DisputeIn
) -> PublicCaseOut:
    """ "Not fixed": within the window the case reopens for rework, with the citizen's photos."""
    media = photos.photo_urls(session, body.photo_ids, citizen_id=citizen.id)
    if not body.reason.strip():
        raise InvalidInput(
            "请说明哪里没有解决", code="missing_field", message_en="say what is not fixed"
        )
    verbs.reopen_case(
        session,
        actor=citizens.citizen_actor(citizen),
        now=now,
        case_id=case_id,
        reason=body.reason,
        photos=media,
    )
    return public_case(session, case_id, citizen.id, now)


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(session: SessionDep, citizen: CitizenDep) -> list[NotificationOut]:
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.recipient_kind == "citizen",
            Notification.recipient_id == citizen.id,
            Notification.channel == "in_app",
        )
        .order_by(Notification.id.desc())
        .limit(100)
    )
    return [
        NotificationOut(
            id=n.id,
            case_id=n.case_id,
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in rows
    ]


@router.post("/notifications/read", status_code=204)
def mark_read(session: SessionDep, now: NowDep, citizen: CitizenDep) -> Response:
    session.execute(
        update(Notification)
        .where(
            Notification.recipient_kind == "citizen",
            Notification.recipient_id == citizen.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return Response(status_code=204)


@router.get("/stations", response_model=list[StationOut])
def stations(
    session: SessionDep, town_code: Annotated[Line | None, Query(max_length=9)] = None
) -> list[StationOut]:
    stmt = select(ServiceStation).order_by(ServiceStation.town_code, ServiceStation.id)
    if town_code:
        stmt = stmt.where(ServiceStation.town_code == town_code)
    return [
        StationOut(
            id=s.id,
            name=s.name,
            town_code=s.town_code,
            address=s.address,
            lat=s.lat,
            lon=s.lon,
            amenities=list(s.amenities),
            opening_hours=s.opening_hours,
            is_demo=s.is_demo,
        )
        for s in session.scalars(stmt)
    ]
