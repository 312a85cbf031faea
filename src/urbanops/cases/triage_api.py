"""The live triage queue's routes: a stream ticket (bearer token in) and the event stream
(ticket in the query, since `EventSource` sends no headers; see `identity.tickets`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from urbanops.cases import triage
from urbanops.cases.queries import case_scope, require_role
from urbanops.core.db import session_factory
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity import service as identity
from urbanops.identity.deps import StaffDep
from urbanops.identity.roles import Actor
from urbanops.identity.tickets import TRIAGE_STREAM, issue_ticket, user_from_ticket

router = APIRouter(prefix="/api/v1/triage", tags=["triage"], responses=PROBLEM_RESPONSES)


class TicketOut(BaseModel):
    ticket: str
    expires_in: int  # seconds: open the stream within this time


@router.post("/ticket", response_model=TicketOut)
def stream_ticket(actor: StaffDep, now: NowDep) -> TicketOut:
    """A short-lived ticket that opens `GET /api/v1/triage/stream` for the caller."""
    require_role(actor)
    assert actor.id is not None
    ticket, ttl = issue_ticket(actor.id, now, TRIAGE_STREAM)
    return TicketOut(ticket=ticket, expires_in=ttl)


def _cursor(last_event_id: str | None, after: int | None) -> int | None:
    """Where a reconnecting client left off: the `Last-Event-ID` header a browser sends by
    itself, or `after` from a page that opens a new stream (a new `EventSource` cannot set the
    header). Anything but a case id counts as no cursor."""
    if last_event_id and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after


async def _events(request: Request, cursor: triage.TriageCursor) -> AsyncIterator[str]:
    yield triage.opening()
    factory = session_factory()

    def poll() -> list[str]:
        with factory() as session:
            return cursor.poll(session)

    quiet = 0.0
    with anyio.move_on_after(triage.LIFETIME_SECONDS):
        while not await request.is_disconnected():
            events = await anyio.to_thread.run_sync(poll)
            for event in events:
                yield event
            quiet = 0.0 if events else quiet + triage.POLL_SECONDS
            if quiet >= triage.HEARTBEAT_SECONDS:
                quiet = 0.0
                yield triage.HEARTBEAT
            await anyio.sleep(triage.POLL_SECONDS)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def triage_stream(
    request: Request,
    session: SessionDep,
    ticket: Annotated[str, Query(min_length=1, max_length=2000)],
    after: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events of the cases waiting in triage that the ticket's account may see:
    `case` (id: the case id, data: the case) for each new one, `gone` when one this stream sent
    leaves triage. Without a cursor the stream starts with the newest cases in the queue."""
    actor: Actor = identity.actor_for_user(user_from_ticket(session, ticket, TRIAGE_STREAM))
    require_role(actor)
    cursor = triage.TriageCursor(case_scope(actor), last_id=_cursor(last_event_id, after))
    return StreamingResponse(
        _events(request, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
