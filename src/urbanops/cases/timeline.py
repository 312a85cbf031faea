"""The apply step: the one way a case changes and its timeline grows.

`apply` checks the caller's role and scope and the registry's table *before* anything is
written, then sets the verb's column changes, moves the status and the stage clock, and writes
the `CaseEvent` (public or not, notified or not, as the registry says) in the same transaction;
the caller commits. `plan` does the same for a case not yet in the database (intake writes the
case and its first rows together). The timeline is append-only: the database refuses to update
or delete its rows (migration 0007); a correction is a new event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from urbanops.cases import clock
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.permissions import authorize
from urbanops.cases.workflow import REGISTRY, CaseAction, CaseStatus, next_status
from urbanops.core import outbox
from urbanops.identity.roles import Actor

NOTIFY_TASK = "notifications:notify_case_event"  # with `event_id`, for actions that notify
# the rewards' projection of the timeline (`rewards.earning`) reads these actions' rows on the
# cases citizens reported; their transactions queue it
PROJECTION_TASK = "rewards:project_timeline"
PROJECTED = frozenset(
    {CaseAction.register, CaseAction.verify, CaseAction.void, CaseAction.refer, CaseAction.merge}
)


def check(actor: Actor, case: Case, action: CaseAction) -> CaseStatus:
    """The status `action` leads to, or the refusal (role, scope, table): writes nothing.
    Verbs that must compute before they call `apply` call this first."""
    authorize(actor, case, action)
    return next_status(CaseStatus(case.status), action)


def notifies(action: CaseAction) -> bool:
    return bool(REGISTRY[action].notify)


def apply(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
    changes: Mapping[str, Any] | None = None,
    restart_clock: bool = False,
) -> CaseEvent:
    """Take `action` on `case`: check, change the case (`changes` are columns the verb sets, set
    after the check and before the clock), write its timeline row, enqueue its notification."""
    before = _change(
        session, case, action, actor=actor, now=now, changes=changes, restart=restart_clock
    )
    event = CaseEvent(
        **event_values(
            case,
            action,
            actor=actor,
            now=now,
            from_status=before,
            note=note,
            data=data,
            attachments=attachments,
        )
    )
    session.add(event)
    if notifies(action):
        outbox.add_for(session, NOTIFY_TASK, event, "event_id")
    if action in PROJECTED and case.reporter_citizen_id is not None:
        outbox.add(session, PROJECTION_TASK)
    return event


def plan(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    from_status: str | None = None,
    data: dict[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`apply` on a case that is not yet in the database: the same checks and changes, and the
    columns of its timeline row (without `case_id`) for the caller to insert with the case.
    `submit`, the row of the report that opened the case, has no status before it."""
    if action is CaseAction.submit:  # opens the case: the table, no one's role
        next_status(CaseStatus(case.status), action)
        before = from_status
        case.updated_at = now
    else:
        before = _change(
            session, case, action, actor=actor, now=now, changes=changes, restart=False
        )
    values = event_values(case, action, actor=actor, now=now, from_status=before, data=data)
    del values["case_id"]
    return values


def _change(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    changes: Mapping[str, Any] | None,
    restart: bool,
) -> str:
    """Check, then change status, clock and the verb's columns; returns the status before."""
    after = check(actor, case, action)
    before = case.status
    for column, value in (changes or {}).items():
        setattr(case, column, value)
    case.status = str(after)
    if after != before or restart:
        clock.start_clock(session, case, now)
    if after is CaseStatus.closed:
        case.closed_at = now
    case.updated_at = now
    return before


def event_values(
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    from_status: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
) -> dict[str, Any]:
    """The columns of the `CaseEvent` that records `action` on `case` (now in its new status)."""
    return {
        "case_id": case.id,
        "at": now,
        "action": str(action),
        "from_status": from_status,
        "to_status": case.status,
        "actor_kind": str(actor.kind),
        "actor_id": actor.id,
        "actor_label": actor.label,
        "note": note,
        "data": data or {},
        "attachments": list(attachments),
        "public": REGISTRY[action].public,
    }
