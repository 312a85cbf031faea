"""Reading reports for the citizen app: the citizen's own reports, and a case as its reporter
sees it (public timeline, before and after photos, whether they may rate or dispute it); and
for staff, the classifier intake serves (`classifier_status`).

Names (matter, unit, town) come from the cached reference maps, so a list costs one statement
whatever its length.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import queries as case_queries
from urbanops.cases.models import Case
from urbanops.cases.verbs import reopen_deadline
from urbanops.cases.workflow import REGISTRY, STATUS_LABELS_ZH, CaseAction, CaseStatus, label
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import NotFound
from urbanops.reports import classifier as clf
from urbanops.reports import photos, suggest
from urbanops.reports.models import ClassifierModel, Report
from urbanops.reports.schemas import (
    ClassifierStatusOut,
    GateOut,
    MyCaseOut,
    PublicCaseOut,
    TimelineItem,
)

MY_REPORTS_LIMIT = 200
A = CaseAction
# the timeline rows whose note the reporter reads (what was done, why it was refused or parked,
# their own words); the others' notes are the staff's
CITIZEN_NOTES = frozenset(
    {A.submit_result, A.verify, A.rework, A.reopen, A.void, A.return_, A.park, A.rate}
)


def my_reports(session: Session, citizen_id: int) -> list[MyCaseOut]:
    """The citizen's reports, newest first, each with the case it opened or joined."""
    rows = session.execute(
        select(Case, Report.is_supporter, Report.media)
        .join(Report, Report.case_id == Case.id)
        .where(Report.reporter_citizen_id == citizen_id)
        .order_by(Report.submitted_at.desc(), Report.id.desc())
        .limit(MY_REPORTS_LIMIT)
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


def _shown(action: str) -> bool:
    """Whether a stored timeline row is shown to citizens (the registry's `public`)."""
    try:
        return REGISTRY[CaseAction(action)].public
    except ValueError:
        return False


def citizen_case(
    session: Session, case_id: int, *, citizen_id: int | None, now: datetime
) -> PublicCaseOut:
    """The case as a citizen sees it; a merged case answers with the case it joined."""
    timeline = case_queries.case_timeline(session, case_id, public_only=True)
    if timeline.case.merged_into_id is not None:
        timeline = case_queries.case_timeline(
            session, timeline.case.merged_into_id, public_only=True
        )
    case = timeline.case
    reports = session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.id)
    ).all()
    before = [m for r in reports for m in photos.media_urls(r.media)]
    handler_before: list[str] = []
    after: list[str] = []
    items = []
    for e in timeline.events:
        if not _shown(e.action):
            continue
        shown = photos.media_urls(e.attachments)  # photo ids kept, URLs shown
        if e.action == A.submit_result:  # the latest result's: 处置前 beside the report's
            handler_before = photos.media_urls(case_queries.before_photo_refs(e))
            after = photos.media_urls(case_queries.after_photo_refs(e))
        note = e.note if e.action in CITIZEN_NOTES else ""
        items.append(
            TimelineItem(at=e.at, action=e.action, label=label(e.action), note=note, photos=shown)
        )
    matter = catalogue.snapshot(session).matters.get(case.matter_code or "")
    is_reporter = citizen_id is not None and case.reporter_citizen_id == citizen_id
    closed = case.status == CaseStatus.closed
    until = reopen_deadline(case)  # the same window the reopen verb enforces
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
        before_photos=before + handler_before,
        after_photos=after,
        timeline=items,
        supporters=case.supporters,
        mine=citizen_id is not None and any(r.reporter_citizen_id == citizen_id for r in reports),
        can_rate=is_reporter and closed and case.rating is None,
        can_dispute=is_reporter and closed and until is not None and now <= until,
        rating=case.rating,
        rating_comment=case.rating_comment,
    )


def own_case(session: Session, case_id: int, *, citizen_id: int, now: datetime) -> PublicCaseOut:
    """`citizen_case` for a case the citizen reported (first or as a supporter), else 404."""
    owned = session.scalar(
        select(Report.id)
        .where(Report.case_id == case_id, Report.reporter_citizen_id == citizen_id)
        .limit(1)
    )
    if owned is None:
        raise NotFound(
            "没有找到您的这条上报", code="case_not_found", message_en="no such report of yours"
        )
    return citizen_case(session, case_id, citizen_id=citizen_id, now=now)


def classifier_status(session: Session) -> ClassifierStatusOut:
    """The active model (the newest active row, as intake reads it) with its dispatch gate,
    and the refusal recorded on the newest row when a retrained model was not published. Reads
    the rows' columns, never their blobs; the gate comes from the model intake has loaded."""
    columns = (
        ClassifierModel.id,
        ClassifierModel.created_at,
        ClassifierModel.samples,
        ClassifierModel.corrections,
    )
    active = session.execute(
        select(*columns)
        .where(ClassifierModel.is_active.is_(True))
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    ).one_or_none()
    newest = session.execute(
        select(ClassifierModel.id, ClassifierModel.created_at, ClassifierModel.metrics)
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    ).one_or_none()
    refused, refused_at = None, None
    if newest is not None and (active is None or newest.id != active.id):
        reason = (newest.metrics or {}).get("refused")
        refused = str(reason) if reason is not None else None
        refused_at = newest.created_at if refused is not None else None
    model = suggest.active_model(session, fresh=True) if active is not None else None
    return ClassifierStatusOut(
        id=active.id if active else None,
        created_at=active.created_at if active else None,
        samples=active.samples if active else None,
        clerk_decisions=active.corrections if active else None,
        usable=model is not None,
        gate=_gate(model.gate) if model is not None and model.gate is not None else None,
        refused=refused,
        refused_at=refused_at,
    )


def _gate(gate: clf.Gate) -> GateOut:
    m = gate.measured

    def figure(name: str) -> float | None:
        value = m.get(name)
        return float(value) if value is not None else None

    n = m.get("n")
    return GateOut(
        target=gate.target,
        remit=gate.remit,
        matter=gate.matter,
        auto_rate=figure("auto_rate"),
        auto_precision=figure("auto_precision"),
        out_of_remit_auto=figure("out_of_remit_auto"),
        top1=figure("top1"),
        top3=figure("top3"),
        holdout_auto_rate=figure("holdout_auto_rate"),
        holdout_auto_precision=figure("holdout_auto_precision"),
        holdout_out_of_remit_auto=figure("holdout_out_of_remit_auto"),
        evaluated=int(n) if n is not None else None,
    )
