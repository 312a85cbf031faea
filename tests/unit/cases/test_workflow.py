"""Every (status, action) pair: allowed ones give the table's target, all others are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from urbanops.cases.workflow import (
    EVENT_ACTIONS,
    TRANSITIONS,
    CaseAction,
    CaseStatus,
    allowed_actions,
    next_status,
    render_table,
    stage_for,
)
from urbanops.core.errors import TransitionNotAllowed

PAIRS = [(s, a) for s in CaseStatus for a in CaseAction]


@pytest.mark.parametrize(("status", "action"), PAIRS)
def test_every_pair_follows_the_table(status: CaseStatus, action: CaseAction) -> None:
    if (status, action) in TRANSITIONS:
        assert next_status(status, action) is TRANSITIONS[(status, action)]
    elif status in EVENT_ACTIONS.get(action, frozenset()):
        assert next_status(status, action) is status
    else:
        with pytest.raises(TransitionNotAllowed) as err:
            next_status(status, action)
        assert err.value.extra == {"case_status": str(status), "action": str(action)}


def test_lifecycle_of_design_section_3() -> None:
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


@pytest.mark.parametrize("terminal", [CaseStatus.void, CaseStatus.merged])
def test_terminal_statuses_allow_no_transition(terminal: CaseStatus) -> None:
    assert not [a for (s, a) in TRANSITIONS if s is terminal]


def test_rate_only_after_closing() -> None:
    assert [s for s in CaseStatus if CaseAction.rate in allowed_actions(s)] == [CaseStatus.closed]


def test_stages() -> None:
    assert stage_for(CaseStatus.registered) == "dispatch"
    assert stage_for(CaseStatus.in_progress) == "handle"
    assert stage_for(CaseStatus.awaiting_verification) == "verify"
    assert stage_for(CaseStatus.parked) is None
    assert stage_for(CaseStatus.closed) is None


def test_docs_show_the_current_table() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "case-lifecycle.md"
    assert doc.read_text(encoding="utf-8") == render_table(), (
        "docs/case-lifecycle.md is stale: regenerate it with "
        "python -c 'from urbanops.cases.workflow import render_table; print(render_table(), end=\"\")'"
    )
