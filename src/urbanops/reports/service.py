"""`submit_report`: one intake for every source (citizens, inspectors, hotline, cameras, APIs).

locate (converting GCJ-02/BD-09) → matter (given, category with one matter, or the top
suggestion above the confidence threshold) → duplicate check (joins an open case nearby) →
responsible unit → accept, register and dispatch in one transaction; otherwise the case waits
in the triage queue. A point outside every town is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import h3
from sqlalchemy import func, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import service as cases
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import OPEN_STATUSES, CaseAction, CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core import db, geo, jobs
from urbanops.core.settings import get_settings
from urbanops.identity.roles import SYSTEM, Actor
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.suggest import Suggestion, suggest

A = CaseAction
EARTH_RADIUS_M = 6371008.8
OPEN_VALUES = sorted(str(s) for s in OPEN_STATUSES)


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    report: Report
    outcome: str  # dispatched | triage | joined | replayed
    location: geo.Location | None
    unit_name: str | None
    suggestions: list[Suggestion]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def find_duplicate(
    session: Session, *, matter_code: str, lat: float, lon: float, now: datetime
) -> Case | None:
    """The nearest open case of the same matter within the matter's radius and the window."""
    settings = get_settings()
    info = catalogue.require_matter(session, matter_code)
    radius = info.duplicate_radius_m or settings.intake.duplicate_radius_m
    res = settings.geo.h3_resolution
    ring = max(1, math.ceil(radius / h3.average_hexagon_edge_length(res, unit="m")))
    cells = list(h3.grid_disk(h3.latlng_to_cell(lat, lon, res), ring))
    rows = session.execute(
        select(Case.id, Case.lat, Case.lon).where(
            Case.h3_cell.in_(cells),
            Case.matter_code == matter_code,
            Case.status.in_(OPEN_VALUES),
            Case.merged_into_id.is_(None),
            Case.reported_at >= now - timedelta(days=settings.intake.duplicate_window_days),
        )
    ).all()
    near = sorted((d, cid) for cid, clat, clon in rows if (d := distance_m(lat, lon, clat, clon)) <= radius)
    return cases.get_case(session, near[0][1], for_update=True) if near else None


def _replay(session: Session, key: str) -> IntakeResult | None:
    report = session.scalars(select(Report).where(Report.idempotency_key == key)).one_or_none()
    if report is None:
        return None
    case = cases.get_case(session, report.case_id)
    unit = areas.unit_name(session, case.unit_id) if case.unit_id else None
    return IntakeResult(case, report, "replayed", None, unit, [])


def submit_report(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    data: ReportIn,
    source: str,
    citizen_id: int | None = None,
    api_key_id: int | None = None,
    check_duplicates: bool = True,
) -> IntakeResult:
    key = f"{actor.kind}:{actor.id}:{data.idempotency_key}" if data.idempotency_key else None
    if key and (previous := _replay(session, key)):
        return previous
    lat, lon, location = areas.locate(session, data.lat, data.lon, data.datum)
    if data.matter_code:
        catalogue.require_matter(session, data.matter_code)
    if data.category_code:
        catalogue.require_category(session, data.category_code)

    matter = data.matter_code
    suggestions = [] if matter else suggest(session, data.description, category_code=data.category_code)
    if matter is None and suggestions and suggestions[0].confidence >= get_settings().intake.confidence_threshold:
        matter = suggestions[0].matter_code

    report = Report(
        source=source, submitted_at=now, description=data.description, lat=lat, lon=lon,
        datum=str(data.datum), raw_lat=data.lat, raw_lon=data.lon, matter_code=data.matter_code,
        category_code=data.category_code,
        suggestions=[{"matter_code": s.matter_code, "confidence": s.confidence} for s in suggestions],
        reporter_citizen_id=citizen_id, reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone, api_key_id=api_key_id,
        submitted_by=actor.id if actor.kind == "staff" else None,
        idempotency_key=key, media=list(data.media), external_id=data.external_id,
    )

    duplicate = (
        find_duplicate(session, matter_code=matter, lat=lat, lon=lon, now=now)
        if matter and check_duplicates
        else None
    )
    if duplicate is not None:
        return _join(session, duplicate, report, now=now, actor=actor, key=key, location=location,
                     suggestions=suggestions)

    case = Case(
        status=str(CaseStatus.reported), source=source,
        matter_code=matter, category_code=data.category_code, description=data.description,
        address=data.address, lat=lat, lon=lon,
        h3_cell=h3.latlng_to_cell(lat, lon, get_settings().geo.h3_resolution),
        town_code=location.town_code, community_code=location.community_code,
        grid_cell_code=location.grid_cell_code, reporter_citizen_id=citizen_id,
        reported_at=now, updated_at=now,
    )
    new = cases.NewCase(case)
    new.submit(actor=actor, now=now, data={"source": source})  # + report_id, on insert
    routing = areas.responsible_unit(session, location.town_code, matter) if matter else None
    unit_name = None
    outcome = "triage"
    if matter and routing:
        # automatic intake: the system accepts, registers and dispatches at once
        new.step(session, A.accept, actor=SYSTEM, now=now, notify=False,
                 data={"matter_code": matter, "auto": True})
        new.step(session, A.register, actor=SYSTEM, now=now, notify=False)
        case.unit_id = routing.unit_id
        case.dispatched_at = now
        new.step(session, A.dispatch, actor=SYSTEM, now=now,
                 data={"unit_id": routing.unit_id, "unit_name": routing.unit_name, "auto": True})
        unit_name, outcome = routing.unit_name, "dispatched"
    try:
        _insert_new_case(session, new, report, savepoint=key is not None)
    except IntegrityError:
        # a concurrent submit with the same idempotency key won the race
        if key is None or (replay := _replay(session, key)) is None:
            raise
        return replay
    return IntakeResult(case, report, outcome, location, unit_name, suggestions)


_CASE, _REPORT, _EVENT = Case.__table__, Report.__table__, CaseEvent.__table__


def _insert_new_case(session: Session, new: cases.NewCase, report: Report, *, savepoint: bool) -> None:
    """Write the case, its report, its timeline and the notification jobs in one statement (one
    round trip instead of an ORM flush per table); in a savepoint when it may lose a race."""
    new_case = insert(_CASE).values(db.insert_values(new.case)).returning(_CASE.c.id, _CASE.c.number)
    case_cte = new_case.cte("new_case")
    case_id = select(case_cte.c.id).scalar_subquery()
    report_cte = (
        insert(_REPORT).values({**db.insert_values(report), "case_id": case_id})
        .returning(_REPORT.c.id).cte("new_report")
    )
    report_id = select(report_cte.c.id).scalar_subquery()
    names = ["case_id", *new.events[0].values]
    rows = []
    for event in new.events:
        row = [case_id, *(literal(v, _EVENT.c[k].type) for k, v in event.values.items())]
        if event.values["action"] == A.submit:  # names its report: {"source": …} || {"report_id": …}
            i = names.index("data")
            row[i] = row[i].op("||")(func.jsonb_build_object("report_id", report_id))
        rows.append(select(*row))
    # INSERT … SELECT … UNION ALL …: ids in timeline order, and (unlike a multi-row VALUES) a
    # statement SQLAlchemy can cache compiled
    event_cte = (
        insert(_EVENT).from_select(names, union_all(*rows))
        .returning(_EVENT.c.id, _EVENT.c.action).cte("new_events")
    )
    columns: list[Any] = [case_cte.c.id, case_cte.c.number, report_id.label("report_id")]
    notify = [e.values["action"] for e in new.events if e.notify]
    if notify:
        ids = select(event_cte.c.id).where(event_cte.c.action.in_(notify))
        columns.append(jobs.defer_each("notifications:notify_case_event", "event_id", ids))
    stmt = select(*columns).add_cte(event_cte)
    if savepoint:
        with session.begin_nested():
            row = session.execute(stmt).one()
    else:
        row = session.execute(stmt).one()
    new.case.id, new.case.number = row.id, row.number
    report.id, report.case_id = row.report_id, row.id
    db.attach_inserted(session, new.case, report)


def _insert_report(session: Session, report: Report, key: str | None) -> bool:
    """Insert; False when a concurrent submit with the same idempotency key won the race."""
    if key is None:
        session.add(report)
        session.flush()
        return True
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        return False
    return True


def _join(session: Session, case: Case, report: Report, *, now: datetime, actor: Actor,
          key: str | None, location: geo.Location, suggestions: list[Suggestion]) -> IntakeResult:
    report.case_id = case.id
    report.is_supporter = True
    if not _insert_report(session, report, key):
        replay = _replay(session, key or "")
        assert replay is not None
        return replay
    case.supporters += 1
    cases.record(session, case, A.support, actor=actor, now=now, from_status=case.status,
                 data={"report_id": report.id, "supporters": case.supporters})
    unit = areas.unit_name(session, case.unit_id) if case.unit_id else None
    return IntakeResult(case, report, "joined", location, unit, suggestions)
