"""Report intake over the REST API (other systems with an API key, staff with a token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Header, Request, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from urbanops.cases.queries import require_role
from urbanops.catalogue import service as catalogue
from urbanops.core.settings import get_settings
from urbanops.core.storage import photo_store
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep, run_in_transaction
from urbanops.identity.deps import CallerDep, current_caller, oauth2
from urbanops.identity.roles import ActorKind
from urbanops.reports import photos
from urbanops.reports.schemas import ReportIn, ReportOut, SuggestionOut
from urbanops.reports.service import IntakeResult, submit_report

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=PROBLEM_RESPONSES)

# pydantic's serializer for the model, straight to bytes: the JSON FastAPI makes for a returned
# `ReportOut`, without its validation pass (~3 µs instead of ~13 µs a report)
_to_json = ReportOut.__pydantic_serializer__.to_json

MESSAGES = {
    "dispatched": "已受理并派遣至{unit}，案件编号 {number}",
    "triage": "已收到，案件编号 {number}，待指挥中心受理",
    "suspected": "已收到，案件编号 {number}。该问题可能不属于城市管理事项，指挥中心核实后将告知您办理渠道",
    "joined": "附近已有相同问题的案件 {number}，您的上报已并入该案件",
    "replayed": "重复提交：案件编号 {number}",
}


def _message_key(result: IntakeResult) -> str:
    suspected = result.outcome == "triage" and result.case.suspected_channel is not None
    return "suspected" if suspected else result.outcome


def report_out(session: Session, result: IntakeResult) -> ReportOut:
    case = result.case
    snap = catalogue.snapshot(session)
    matter = snap.matters.get(case.matter_code or "")
    return ReportOut(
        report_id=result.report.id,
        case_id=case.id,
        case_number=case.number,
        outcome=result.outcome,
        status=case.status,
        town_code=case.town_code,
        town_name=result.location.town_name if result.location else None,
        community_code=case.community_code,
        grid_cell_code=case.grid_cell_code,
        matter_code=case.matter_code,
        matter_name=matter.name if matter else None,
        unit_id=case.unit_id,
        unit_name=result.unit_name,
        due_at=case.due_at,
        suggestions=[SuggestionOut(**s.__dict__) for s in result.suggestions],
        message=MESSAGES[_message_key(result)].format(
            unit=result.unit_name or "", number=case.number
        ),
    )


@router.post("/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED)
async def create_report(
    request: Request,
    session: SessionDep,
    now: NowDep,
    token: Annotated[str | None, Depends(oauth2)],
    data: ReportIn,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Response:
    """201 with the new (or joined) case, 200 for a replayed idempotency key.

    The answer is serialised once, in the worker thread, into the response that is sent: the
    bytes FastAPI would make from the returned `ReportOut` (`response_model` documents them),
    without validating the model again on the event loop."""

    def intake() -> tuple[IntakeResult, bytes]:
        caller = current_caller(request, session, now, token, x_api_key)
        require_role(caller.actor)  # an account without roles files nothing (and sees no case)
        source = "api" if caller.actor.kind is ActorKind.api else "staff"
        media = photos.media_refs(session, data.media, field="media")
        result = submit_report(
            session,
            actor=caller.actor,
            now=now,
            data=data.model_copy(update={"media": media}),
            source=source,
            api_key_id=caller.api_key_id,
        )
        return result, _to_json(report_out(session, result), by_alias=True)

    # async, with the caller, the intake and the commit in one worker-thread call
    result, body = await run_in_transaction(session, intake)
    replayed = result.outcome == "replayed"
    code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
    return Response(body, status_code=code, media_type="application/json")


class UploadedPhoto(BaseModel):
    id: str
    url: str
    thumb_url: str
    width: int
    height: int


@router.post("/photos", response_model=UploadedPhoto, status_code=status.HTTP_201_CREATED)
def upload_photo(
    session: SessionDep,
    now: NowDep,
    caller: CallerDep,
    photo: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC")],
) -> UploadedPhoto:
    """A photo for staff (before/after photos of a case action) or another system: its `id`
    goes into `photos` of a case action, `media` of a report, or Open311's `media_url`."""
    require_role(caller.actor)  # an account without roles uploads nothing either
    data = photo.file.read(get_settings().intake.max_photo_bytes + 1)
    user_id = caller.actor.id if caller.actor.kind is ActorKind.staff else None
    row = photos.store_photo(session, data, now=now, user_id=user_id)
    store = photo_store()
    return UploadedPhoto(
        id=row.id,
        url=store.url(row.key),
        thumb_url=store.url(row.thumb_key),
        width=row.width,
        height=row.height,
    )
