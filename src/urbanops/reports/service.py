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

import h3
from sqlalchemy import ARRAY, Select, String, TextClause, any_, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import service as cases
from urbanops.cases.models import Case, CaseEvent, number_sql
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


def _nearby_statement() -> Select[int, float, float]:
    """Open cases of a matter in some h3 cells since a time. Built once with array parameters
    (`= ANY`), so neither SQLAlchemy nor psycopg redo work per call for a varying cell count."""
    t = Case.__table__
    return select(t.c.id, t.c.lat, t.c.lon).where(
        t.c.h3_cell == any_(bindparam("cells", type_=ARRAY(String))),
        t.c.matter_code == bindparam("matter_code"),
        t.c.status == any_(bindparam("statuses", OPEN_VALUES, type_=ARRAY(String))),
        t.c.merged_into_id.is_(None),
        t.c.reported_at >= bindparam("since"),
    )


_NEARBY = _nearby_statement()


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
    since = now - timedelta(days=settings.intake.duplicate_window_days)
    session.flush()  # as the ORM's autoflush would: pending changes (a case just closed) count
    rows = session.execute(
        _NEARBY, {"cells": cells, "matter_code": matter_code, "since": since}
    ).all()
    near = sorted(
        (d, cid) for cid, clat, clon in rows if (d := distance_m(lat, lon, clat, clon)) <= radius
    )
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
    suggestions = (
        [] if matter else suggest(session, data.description, category_code=data.category_code)
    )
    if (
        matter is None
        and suggestions
        and suggestions[0].confidence >= get_settings().intake.confidence_threshold
    ):
        matter = suggestions[0].matter_code

    report = Report(
        source=source,
        submitted_at=now,
        description=data.description,
        lat=lat,
        lon=lon,
        datum=str(data.datum),
        raw_lat=data.lat,
        raw_lon=data.lon,
        matter_code=data.matter_code,
        category_code=data.category_code,
        suggestions=[
            {"matter_code": s.matter_code, "confidence": s.confidence} for s in suggestions
        ],
        reporter_citizen_id=citizen_id,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        api_key_id=api_key_id,
        submitted_by=actor.id if actor.kind == "staff" else None,
        idempotency_key=key,
        media=list(data.media),
        external_id=data.external_id,
    )

    duplicate = (
        find_duplicate(session, matter_code=matter, lat=lat, lon=lon, now=now)
        if matter and check_duplicates
        else None
    )
    if duplicate is not None:
        return _join(
            session,
            duplicate,
            report,
            now=now,
            actor=actor,
            key=key,
            location=location,
            suggestions=suggestions,
        )

    case = Case(
        status=str(CaseStatus.reported),
        source=source,
        matter_code=matter,
        category_code=data.category_code,
        description=data.description,
        address=data.address,
        lat=lat,
        lon=lon,
        h3_cell=h3.latlng_to_cell(lat, lon, get_settings().geo.h3_resolution),
        town_code=location.town_code,
        community_code=location.community_code,
        grid_cell_code=location.grid_cell_code,
        reporter_citizen_id=citizen_id,
        reported_at=now,
        updated_at=now,
    )
    new = cases.NewCase(case)
    new.submit(actor=actor, now=now, data={"source": source})  # + report_id, on insert
    routing = areas.responsible_unit(session, location.town_code, matter) if matter else None
    unit_name = None
    outcome = "triage"
    if matter and routing:
        # automatic intake: the system accepts, registers and dispatches at once
        new.step(
            session,
            A.accept,
            actor=SYSTEM,
            now=now,
            notify=False,
            data={"matter_code": matter, "auto": True},
        )
        new.step(session, A.register, actor=SYSTEM, now=now, notify=False)
        case.unit_id = routing.unit_id
        case.dispatched_at = now
        new.step(
            session,
            A.dispatch,
            actor=SYSTEM,
            now=now,
            data={"unit_id": routing.unit_id, "unit_name": routing.unit_name, "auto": True},
        )
        unit_name, outcome = routing.unit_name, "dispatched"
    try:
        _insert_new_case(session, new, report, savepoint=key is not None)
    except IntegrityError:
        # a concurrent submit with the same idempotency key won the race
        if key is None or (replay := _replay(session, key)) is None:
            raise
        return replay
    return IntakeResult(case, report, outcome, location, unit_name, suggestions)


def _new_case_statement() -> TextClause:
    """INSERT the case, its report and its timeline, and enqueue the events' notifications, in
    one statement (one round trip instead of an ORM flush per table). Each row travels as one
    JSON parameter, read with the table's own row type: the text never changes and has a few
    parameters, so psycopg caches and prepares it (only up to 50 parameters and 4 KB of SQL)."""
    q = db.quote
    case_t, report_t, event_t = (q(m.__tablename__) for m in (Case, Report, CaseEvent))
    case_cols = [q(c) for c in db.written_columns(Case)]
    report_cols = [q(c) for c in db.written_columns(Report) if c != "case_id"]
    event_names = [c for c in db.written_columns(CaseEvent) if c != "case_id"]
    event_cols = [q(c) for c in event_names]
    # the submit event names its report: {"source": …} || {"report_id": …}
    submit_data = (
        f"CASE WHEN e.action = '{A.submit}'"
        " THEN e.data || jsonb_build_object('report_id', new_report.id) ELSE e.data END"
    )
    event_values = [submit_data if c == "data" else f"e.{q(c)}" for c in event_names]
    notified = "SELECT id FROM new_events WHERE action = ANY(CAST(:notify AS text[]))"
    return text(f"""
WITH new_case AS (
    INSERT INTO {case_t} (number, {", ".join(case_cols)})
    SELECT {number_sql("c.reported_at")}, {", ".join(f"c.{col}" for col in case_cols)}
    FROM jsonb_populate_record(NULL::{case_t}, CAST(:case AS jsonb)) AS c
    RETURNING id, number
), new_report AS (
    INSERT INTO {report_t} (case_id, {", ".join(report_cols)})
    SELECT new_case.id, {", ".join(f"r.{col}" for col in report_cols)}
    FROM new_case, jsonb_populate_record(NULL::{report_t}, CAST(:report AS jsonb)) AS r
    RETURNING id
), new_events AS (
    INSERT INTO {event_t} (case_id, {", ".join(event_cols)})
    SELECT new_case.id, {", ".join(event_values)}
    FROM new_case, new_report,
         jsonb_populate_recordset(NULL::{event_t}, CAST(:events AS jsonb)) WITH ORDINALITY AS e
    ORDER BY e.ordinality
    RETURNING id, action
)
SELECT new_case.id, new_case.number, new_report.id AS report_id,
       {jobs.defer_each_sql(cases.NOTIFY_TASK, "event_id", notified)} AS jobs
FROM new_case, new_report""")


_NEW_CASE = _new_case_statement()


def _insert_new_case(
    session: Session, new: cases.NewCase, report: Report, *, savepoint: bool
) -> None:
    """Write a new case with its report and timeline (`_NEW_CASE`); in a savepoint when it may
    lose a race for its idempotency key."""
    params = {
        "case": db.to_json(db.insert_values(new.case)),
        "report": db.to_json(db.insert_values(report)),
        "events": db.to_json([e.values for e in new.events]),
        "notify": [e.values["action"] for e in new.events if e.notify],
    }
    session.flush()  # rows the caller has pending (a user the report names) go first
    if savepoint:
        with session.begin_nested():
            row = session.execute(_NEW_CASE, params).one()
    else:
        row = session.execute(_NEW_CASE, params).one()
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


def _join(
    session: Session,
    case: Case,
    report: Report,
    *,
    now: datetime,
    actor: Actor,
    key: str | None,
    location: geo.Location,
    suggestions: list[Suggestion],
) -> IntakeResult:
    report.case_id = case.id
    report.is_supporter = True
    if not _insert_report(session, report, key):
        replay = _replay(session, key or "")
        assert replay is not None
        return replay
    case.supporters += 1
    cases.record(
        session,
        case,
        A.support,
        actor=actor,
        now=now,
        from_status=case.status,
        data={"report_id": report.id, "supporters": case.supporters},
    )
    unit = areas.unit_name(session, case.unit_id) if case.unit_id else None
    return IntakeResult(case, report, "joined", location, unit, suggestions)
