"""A refused action writes nothing: not in the database, and not in the session either.

The apply step checks role, scope and table before a verb's column changes are set, so a
refused `accept` with a matter code leaves the case's `matter_code` as it was on the very
instance the caller holds (the "write before check" bug), and likewise every other verb that
sets columns: a refused dispatch leaves the unit, a refused park the reason, and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases import extensions, verbs
from urbanops.cases.models import Case, CaseEvent, ExtensionRequest
from urbanops.cases.workflow import CaseStatus
from urbanops.core.errors import PermissionDenied, TransitionNotAllowed

from ...factories import case_in_status
from ..conftest import NOW, Staff

S = CaseStatus
HUMEN_BRANCH = "branch_441900121"

# (status of the case, verb, who, its arguments, the refusal's code); "unit:" names a unit
REFUSED: list[tuple[CaseStatus, Callable[..., Any], str, dict[str, Any], str]] = [
    (S.reported, verbs.accept_case, "dispatcher", {"matter_code": "09006"}, "role_not_allowed"),
    (S.reported, verbs.accept_case, "dongcheng", {"matter_code": "09006"}, "role_not_allowed"),
    (S.dispatched, verbs.accept_case, "clerk", {"matter_code": "09006"}, "transition_not_allowed"),
    (S.reported, verbs.dispatch_case, "dispatcher", {"unit_id": "unit:"}, "transition_not_allowed"),
    (S.registered, verbs.dispatch_case, "clerk", {"unit_id": "unit:"}, "role_not_allowed"),
    (S.registered, verbs.dispatch_case, "dongcheng", {"unit_id": "unit:"}, "role_not_allowed"),
    (S.dispatched, verbs.redispatch_case, "inspector", {"unit_id": "unit:"}, "role_not_allowed"),
    (
        S.in_progress,
        verbs.redispatch_case,
        "dispatcher",
        {"unit_id": "unit:"},
        "transition_not_allowed",
    ),
    (S.dispatched, verbs.park_case, "dongcheng", {"reason": "挂起"}, "role_not_allowed"),
    (S.reported, verbs.park_case, "dispatcher", {"reason": "挂起"}, "transition_not_allowed"),
    (S.parked, verbs.unpark_case, "dongcheng", {}, "role_not_allowed"),
    (S.closed, verbs.reopen_case, "dongcheng", {"reason": "未解决"}, "role_not_allowed"),
    (S.dispatched, verbs.reopen_case, "clerk", {"reason": "未解决"}, "transition_not_allowed"),
    (S.closed, verbs.rate_case, "dispatcher", {"rating": 1}, "role_not_allowed"),
    (S.dispatched, verbs.rate_case, "clerk", {"rating": 1}, "transition_not_allowed"),
    (S.dispatched, verbs.start_case, "humen", {}, "outside_unit_scope"),
    (
        S.dispatched,
        extensions.request_extension,
        "humen",
        {"amount": 2, "reason": "协调"},
        "outside_unit_scope",
    ),
]


def columns(case: Case) -> dict[str, Any]:
    return {c.key: getattr(case, c.key) for c in Case.__table__.columns}


def written(session: Session, case: Case) -> tuple[int, int, int]:
    """The case's timeline rows, extension requests and queued jobs, counted in the database."""
    events = select(func.count()).where(CaseEvent.case_id == case.id)
    requests = select(func.count()).where(ExtensionRequest.case_id == case.id)
    jobs = text(
        "SELECT count(*) FROM job_outbox WHERE (args->>'event_id')::bigint IN"
        " (SELECT id FROM case_event WHERE case_id = :c)"
    )
    return (
        session.scalar(events) or 0,
        session.scalar(requests) or 0,
        session.scalar(jobs, {"c": case.id}) or 0,
    )


@pytest.mark.parametrize(
    ("status", "verb", "who", "arguments", "code"),
    REFUSED,
    ids=[f"{v.__name__}-{s}-{w}" for s, v, w, _, _ in REFUSED],
)
def test_a_refused_action_leaves_the_case_as_it_was(
    session: Session,
    staff: dict[str, Staff],
    unit_ids: dict[str, int],
    status: CaseStatus,
    verb: Callable[..., Any],
    who: str,
    arguments: dict[str, Any],
    code: str,
) -> None:
    case = case_in_status(session, status, now=NOW, matter_code="06042")
    session.flush()
    before, rows = columns(case), written(session, case)
    arguments = {k: unit_ids[HUMEN_BRANCH] if v == "unit:" else v for k, v in arguments.items()}

    with pytest.raises((PermissionDenied, TransitionNotAllowed)) as refused:
        verb(session, actor=staff[who].actor, now=NOW, case_id=case.id, **arguments)

    assert refused.value.code == code
    assert columns(case) == before  # the instance the caller holds
    assert not session.is_modified(case)
    assert written(session, case) == rows  # a query flushes whatever the session holds
    session.expire_all()
    assert columns(case) == before  # and what the database holds


def test_a_refused_accept_keeps_the_matter_and_an_allowed_one_sets_it(
    session: Session, staff: dict[str, Staff]
) -> None:
    """The shape of the bug the issue found: the matter code set, then the role refused."""
    case = case_in_status(session, S.reported, now=NOW)
    assert case.matter_code is None
    with pytest.raises(PermissionDenied):
        verbs.accept_case(
            session,
            actor=staff["dispatcher"].actor,
            now=NOW,
            case_id=case.id,
            matter_code="09006",
        )
    assert case.matter_code is None
    session.flush()
    assert session.scalar(select(Case.matter_code).where(Case.id == case.id)) is None
    verbs.accept_case(
        session, actor=staff["clerk"].actor, now=NOW, case_id=case.id, matter_code="09006"
    )
    assert case.matter_code == "09006" and case.status == "accepted"
