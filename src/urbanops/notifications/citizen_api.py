"""The citizen app's inbox routes: list the in-app notifications, mark them all read."""

from __future__ import annotations

from fastapi import APIRouter, Response

from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import CitizenDep
from urbanops.notifications import queries, service
from urbanops.notifications.schemas import NotificationOut

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen app"], responses=PROBLEM_RESPONSES)


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(session: SessionDep, citizen: CitizenDep) -> list[NotificationOut]:
    return queries.citizen_inbox(session, citizen.id)


@router.post("/notifications/read", status_code=204)
def mark_read(session: SessionDep, now: NowDep, citizen: CitizenDep) -> Response:
    service.mark_citizen_inbox_read(session, citizen_id=citizen.id, now=now)
    return Response(status_code=204)
