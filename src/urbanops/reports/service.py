"""`submit_report`: one intake for every source (citizens, inspectors, hotline, cameras, APIs).

locate (converting GCJ-02/BD-09) → matter (given, category with one matter, or the model's top
suggestion when its dispatch gate admits the text: in remit and the matter both confident) →
duplicate check (joins an open case nearby) → responsible unit → accept, register and dispatch
in one transaction; otherwise the case waits in the triage queue, marked 「疑似非城管事项」 with
the channel the model suspects when the text is probably not urban management. A point outside
every town is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import h3
from sqlalchemy import ARRAY, Select, String, any_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import intake
from urbanops.cases.models import Case
from urbanops.cases.queries import get_case
from urbanops.cases.timeline import apply
from urbanops.cases.workflow import OPEN_STATUSES, CaseAction
from urbanops.catalogue import service as catalogue
from urbanops.core import geo
from urbanops.core.settings import get_settings
from urbanops.identity.citizens import keyed_digest
from urbanops.identity.roles import Actor
from urbanops.reports.models import Report, ReportOrigin
from urbanops.reports.schemas import ReportIn
from urbanops.reports.suggest import NOTHING, Reading, Suggestion, read

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
    return get_case(session, near[0][1], for_update=True) if near else None


def _replay(session: Session, key: str) -> IntakeResult | None:
    report = session.scalars(select(Report).where(Report.idempotency_key == key)).one_or_none()
    if report is None:
        return None
    case = get_case(session, report.case_id)
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
    """Take in one report: a new case (dispatched at once when it can be), a supporter of an
    open case nearby (unless `check_duplicates` is off: staff filing a case they know is new),
    or the earlier answer to the same idempotency key."""
    key = f"{actor.kind}:{actor.id}:{data.idempotency_key}" if data.idempotency_key else None
    if key and (previous := _replay(session, key)):
        return previous
    lat, lon, location = areas.locate(session, data.lat, data.lon, data.datum)
    matter, reading = _matter(session, data)
    suggestions = reading.suggestions
    report = _report(data, source, lat, lon, suggestions, actor, citizen_id, api_key_id, key, now)
    if matter and check_duplicates:
        near = find_duplicate(session, matter_code=matter, lat=lat, lon=lon, now=now)
        if near is not None:
            found = (location, suggestions)
            return _join(session, near, report, now=now, actor=actor, key=key, found=found)
    new, outcome, unit_name = intake.open_case(
        session,
        report,
        location,
        matter,
        now=now,
        actor=actor,
        address=data.address,
        remit=(reading.in_remit, reading.channel),
    )
    try:
        intake.store(session, new, report, savepoint=key is not None)
    except IntegrityError as exc:
        return _lost_race(session, key, exc)
    return IntakeResult(new.case, report, outcome, location, unit_name, suggestions)


def record_origin(
    session: Session, report: Report, *, device_id: str | None, ip: str | None, now: datetime
) -> None:
    """Remember where a citizen's report came from: the app's device id as a keyed digest
    (never the id itself) and the client's address."""
    device_hash = keyed_digest("device", device_id) if device_id else None
    session.add(ReportOrigin(report_id=report.id, device_hash=device_hash, ip=ip, at=now))
    session.flush()


def _lost_race(session: Session, key: str | None, exc: IntegrityError) -> IntakeResult:
    """The answer of the concurrent submit with the same idempotency key that won the race."""
    if key is None or (replay := _replay(session, key)) is None:
        raise exc
    return replay


def _matter(session: Session, data: ReportIn) -> tuple[str | None, Reading]:
    """The report's matter: the one given, or the classifier's top suggestion when its gate
    admits the text (with the reading: suggestions kept on the report for the triage queue,
    the remit probability and suspected channel on the case)."""
    if data.matter_code:
        catalogue.require_matter(session, data.matter_code)
    if data.category_code:
        catalogue.require_category(session, data.category_code)
    if data.matter_code:
        return data.matter_code, NOTHING
    reading = read(session, data.description, category_code=data.category_code)
    automatic = reading.automatic and not reading.suspected_out_of_remit
    return (reading.suggestions[0].matter_code if automatic else None), reading


def _report(
    data: ReportIn,
    source: str,
    lat: float,
    lon: float,
    suggestions: list[Suggestion],
    actor: Actor,
    citizen_id: int | None,
    api_key_id: int | None,
    key: str | None,
    now: datetime,
) -> Report:
    return Report(
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
    found: tuple[geo.Location, list[Suggestion]],
) -> IntakeResult:
    """The report supports an open case nearby (附议): the case counts one more reporter."""
    report.case_id = case.id
    report.is_supporter = True
    if not _insert_report(session, report, key):
        replay = _replay(session, key or "")
        assert replay is not None
        return replay
    apply(
        session,
        case,
        A.support,
        actor=actor,
        now=now,
        data={"report_id": report.id, "supporters": case.supporters + 1},
        changes={"supporters": case.supporters + 1},
    )
    unit = areas.unit_name(session, case.unit_id) if case.unit_id else None
    location, suggestions = found
    return IntakeResult(case, report, "joined", location, unit, suggestions)
