"""The registry against the lifecycle as designed (DESIGN §3), written out here as literal data.

The expected table below is typed from the design, not computed from the registry: a wrong
entry in `urbanops.cases.workflow.REGISTRY` (a missing move, an extra one, a wrong target, a
role too many) makes one of these tests fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from urbanops.cases.lifecycle import render_table, workflow_document
from urbanops.cases.workflow import (
    REGISTRY,
    STATUSES,
    CaseAction,
    CaseStatus,
    Notify,
    allowed_actions,
    next_status,
    stage_for,
)
from urbanops.core.errors import TransitionNotAllowed

# (from, action) -> to: every move that changes the status
DESIGNED_MOVES: dict[tuple[str, str], str] = {
    ("reported", "accept"): "accepted",
    ("reported", "merge"): "merged",
    ("reported", "void"): "void",
    ("reported", "refer"): "referred",
    ("accepted", "register"): "registered",
    ("accepted", "merge"): "merged",
    ("accepted", "void"): "void",
    ("accepted", "refer"): "referred",
    ("registered", "dispatch"): "dispatched",
    ("registered", "void"): "void",
    ("dispatched", "start"): "in_progress",
    ("dispatched", "return"): "returned",
    ("dispatched", "redispatch"): "dispatched",
    ("dispatched", "park"): "parked",
    ("returned", "redispatch"): "dispatched",
    ("returned", "void"): "void",
    ("returned", "refer"): "referred",
    ("in_progress", "return"): "returned",
    ("in_progress", "submit_result"): "awaiting_verification",
    ("in_progress", "park"): "parked",
    ("parked", "unpark"): "in_progress",
    ("awaiting_verification", "verify"): "closed",
    ("awaiting_verification", "rework"): "in_progress",
    ("closed", "reopen"): "reopened",
    ("reopened", "start"): "in_progress",
}

RUNNING = {
    "accepted",
    "registered",
    "returned",
    "dispatched",
    "in_progress",
    "reopened",
    "awaiting_verification",
}
OPEN = RUNNING | {"reported", "parked"}
EXTENDABLE = {"dispatched", "in_progress", "reopened"}

# action -> the statuses it may be taken in without changing the status
DESIGNED_EVENTS: dict[str, set[str]] = {
    "submit": {"reported"},
    "rate": {"closed"},
    "urge": RUNNING,
    "escalate": RUNNING | {"parked"},
    "instruct": OPEN,
    "remind": RUNNING,
    "mark_overdue": RUNNING,
    "request_extension": EXTENDABLE,
    "approve_extension": EXTENDABLE,
    "reject_extension": EXTENDABLE,
    "support": OPEN,
    "split": OPEN | {"merged"},
    "recompute_deadline": RUNNING,
}

# action -> roles (besides admin and the system); "citizen" for the reporter's own actions
CLERK, DISPATCH = {"intake_clerk", "shift_chief"}, {"dispatcher", "shift_chief"}
UNIT, INSPECT = {"handler", "area_chief", "unit_manager"}, {"inspector", "shift_chief"}
DESIGNED_ROLES: dict[str, set[str]] = {
    "accept": CLERK,
    "register": CLERK,
    "dispatch": DISPATCH,
    "redispatch": DISPATCH,
    "start": UNIT,
    "return": UNIT,
    "park": DISPATCH,
    "unpark": DISPATCH,
    "submit_result": UNIT,
    "verify": INSPECT,
    "rework": INSPECT,
    "reopen": CLERK | {"citizen"},
    "merge": CLERK,
    "void": CLERK,
    "refer": CLERK,
    "rate": {"intake_clerk", "citizen"},
    "urge": {"shift_chief", "dispatcher", "leader"},
    "escalate": {"shift_chief", "leader"},
    "instruct": {"leader"},
    "request_extension": UNIT,
    "approve_extension": DISPATCH,
    "reject_extension": DISPATCH,
    "split": CLERK,
    "submit": set(),
    "remind": set(),
    "mark_overdue": set(),
    "support": set(),
    "recompute_deadline": set(),
}

# what the citizen timeline and Open311 do not show
DESIGNED_PRIVATE = {
    "urge",
    "escalate",
    "instruct",
    "remind",
    "mark_overdue",
    "request_extension",
    "split",
    "recompute_deadline",
}

# who hears of what
DESIGNED_NOTIFY: dict[str, set[str]] = {
    "dispatch": {"reporter", "unit"},
    "redispatch": {"reporter", "unit"},
    "start": {"reporter"},
    "park": {"reporter"},
    "submit_result": {"reporter"},
    "verify": {"reporter"},
    "rework": {"reporter", "unit"},
    "reopen": {"reporter", "unit"},
    "merge": {"reporter"},
    "void": {"reporter"},
    "refer": {"reporter"},
    "support": {"reporter"},
    "urge": {"unit", "leader"},
    "escalate": {"unit", "leader"},
    "instruct": {"unit"},
    "remind": {"unit"},
    "mark_overdue": {"unit"},
    "approve_extension": {"unit"},
    "reject_extension": {"unit"},
}

# the fields each action requires
DESIGNED_REQUIRED: dict[str, set[str]] = {
    "return": {"reason"},
    "park": {"reason"},
    "submit_result": {"note"},
    "rework": {"reason"},
    "reopen": {"reason"},
    "merge": {"into_number"},
    "void": {"reason"},
    "refer": {"channel"},
    "rate": {"rating"},
    "request_extension": {"amount", "reason"},
    "instruct": {"note"},
}

DESIGNED_STAGES = {
    "accepted": "dispatch",
    "registered": "dispatch",
    "returned": "dispatch",
    "dispatched": "handle",
    "in_progress": "handle",
    "reopened": "handle",
    "awaiting_verification": "verify",
}


def test_the_moves_are_the_designed_ones() -> None:
    moves = {
        (str(s), str(a)): str(t)
        for a, spec in REGISTRY.items()
        for s, t in spec.transitions.items()
        if s != t or a is CaseAction.redispatch
    }
    assert moves == DESIGNED_MOVES


def test_the_event_only_actions_are_allowed_where_designed() -> None:
    events = {
        str(a): {str(s) for s in spec.transitions}
        for a, spec in REGISTRY.items()
        if spec.event_only
    }
    assert events == DESIGNED_EVENTS


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in CaseStatus for a in CaseAction])
def test_every_pair_is_allowed_exactly_as_designed(status: CaseStatus, action: CaseAction) -> None:
    designed = DESIGNED_MOVES.get((str(status), str(action)))
    if designed is None and str(status) in DESIGNED_EVENTS.get(str(action), set()):
        designed = str(status)
    if designed is None:
        with pytest.raises(TransitionNotAllowed) as err:
            next_status(status, action)
        assert err.value.extra == {"case_status": str(status), "action": str(action)}
        assert action not in allowed_actions(status)
    else:
        assert str(next_status(status, action)) == designed
        assert action in allowed_actions(status)


def test_rows_that_follow_someone_elses_action_need_no_role() -> None:
    assert {str(a) for a, spec in REGISTRY.items() if spec.anyone} == {"submit", "support"}


def test_roles_are_the_designed_ones() -> None:
    roles = {
        str(a): {str(r) for r in spec.roles} | ({"citizen"} if spec.citizen else set())
        for a, spec in REGISTRY.items()
    }
    assert roles == DESIGNED_ROLES


def test_what_is_public_and_who_is_told() -> None:
    assert {str(a) for a, spec in REGISTRY.items() if not spec.public} == DESIGNED_PRIVATE
    notify = {str(a): {str(n) for n in spec.notify} for a, spec in REGISTRY.items() if spec.notify}
    assert notify == DESIGNED_NOTIFY
    assert set(Notify) == {Notify.reporter, Notify.unit, Notify.leader}


def test_required_fields_are_the_designed_ones() -> None:
    required = {
        str(a): {f.name for f in spec.fields if f.required}
        for a, spec in REGISTRY.items()
        if any(f.required for f in spec.fields)
    }
    assert required == DESIGNED_REQUIRED


def test_stages_and_open_statuses() -> None:
    assert {str(s): str(stage_for(s)) for s in CaseStatus if stage_for(s)} == DESIGNED_STAGES
    assert {str(s) for s, spec in STATUSES.items() if spec.open} == OPEN


def test_the_happy_path_of_design_section_3_ends_closed() -> None:
    s = CaseStatus.reported
    for action in (
        "accept",
        "register",
        "dispatch",
        "start",
        "submit_result",
        "rework",
        "submit_result",
        "verify",
        "reopen",
        "start",
        "submit_result",
        "verify",
    ):
        s = next_status(s, CaseAction(action))
    assert s is CaseStatus.closed


def test_the_document_the_front_ends_read_carries_the_registry() -> None:
    doc = workflow_document()
    assert [s["code"] for s in doc["statuses"]] == [str(s) for s in CaseStatus]
    by_code = {a["code"]: a for a in doc["actions"]}
    assert by_code["return"]["transitions"] == {"dispatched": "returned", "in_progress": "returned"}
    assert by_code["return"]["fields"][0] == {
        "name": "reason",
        "kind": "textarea",
        "required": True,
        "label_zh": "退回理由",
        "label_en": "Reason",
    }
    assert by_code["urge"]["event_only"] is True and by_code["urge"]["public"] is False
    assert by_code["rate"]["citizen"] is True and by_code["remind"]["api"] is False
    rating = by_code["rate"]["fields"][0]
    assert (rating["name"], rating["minimum"], rating["maximum"]) == ("rating", 1, 5)


def test_docs_show_the_current_registry() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "case-lifecycle.md"
    assert doc.read_text(encoding="utf-8") == render_table(), (
        "docs/case-lifecycle.md is stale: regenerate it with "
        "python -c 'from urbanops.cases.lifecycle import render_table; print(render_table(), end=\"\")'"
    )
