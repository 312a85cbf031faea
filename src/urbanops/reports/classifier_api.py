"""The classifier's status for staff: the model intake serves, its dispatch gate, and why a
retrained model was not published."""

from __future__ import annotations

from fastapi import APIRouter

from urbanops.cases.queries import require_role
from urbanops.core.web import PROBLEM_RESPONSES, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.reports import queries
from urbanops.reports.schemas import ClassifierStatusOut

router = APIRouter(prefix="/api/v1/classifier", tags=["reports"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ClassifierStatusOut)
def classifier_status(session: SessionDep, actor: StaffDep) -> ClassifierStatusOut:
    """The active model (samples, clerks' decisions among them, the gate and what the
    evaluation set gave for it) and the refusal of a newer model, if any."""
    require_role(actor)
    return queries.classifier_status(session)
