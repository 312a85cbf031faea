"""Intake's two ways of writing a new case write the same rows, column by column.

A new report takes the one-statement path; a stored report that moves to a new case (a split)
takes the ORM path. Both are fed the same input here, and every column of the case, the report,
the timeline and the outbox is compared, except ids, the case number's sequence part and the
references to those ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import intake
from urbanops.cases.models import Case, CaseEvent
from urbanops.identity.roles import Actor, ActorKind
from urbanops.reports.models import Report

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
API = Actor(ActorKind.api, 7, "12345 热线")


def report(lat: float, lon: float, matter: str | None) -> Report:
    return Report(
        source="api",
        submitted_at=NOW,
        description="井盖缺失，请尽快处理",
        lat=lat,
        lon=lon,
        datum="wgs84",
        raw_lat=lat,
        raw_lon=lon,
        matter_code=matter,
        suggestions=[{"matter_code": "06042", "confidence": 0.4}],
        reporter_name="李女士",
        reporter_phone="13900000000",
        media=[],
        external_id=None,
    )


def rows(session: Session, table: Any, where: Any) -> list[dict[str, Any]]:
    t: Table = table.__table__
    found = session.execute(select(t).where(where).order_by(t.c.id)).mappings().all()
    return [dict(r) for r in found]


def written(session: Session, case_id: int) -> dict[str, Any]:
    """Every row of one new case, with ids replaced by what they point to."""
    case = rows(session, Case, Case.__table__.c.id == case_id)
    reports = rows(session, Report, Report.__table__.c.case_id == case_id)
    events = rows(session, CaseEvent, CaseEvent.__table__.c.case_id == case_id)
    position = {e["id"]: i for i, e in enumerate(events)}
    jobs = session.execute(
        text(
            "SELECT task, args, queue FROM job_outbox"
            " WHERE (args->>'event_id')::bigint = ANY(:ids) ORDER BY id"
        ),
        {"ids": list(position)},
    ).all()
    for c in case:
        c["number"] = c["number"][:8]  # the local date; the rest is the sequence
        del c["id"]
    for r in reports:
        del r["id"], r["case_id"]
    for e in events:
        del e["id"], e["case_id"]
        if "report_id" in e["data"]:
            e["data"] = dict(e["data"], report_id="the case's report")
    return {
        "case": case,
        "reports": reports,
        "events": events,
        "outbox": [(t, {"event": position[a["event_id"]]}, q) for t, a, q in jobs],
    }


@pytest.mark.parametrize(
    ("lat", "lon", "matter", "outcome"),
    [
        (22.8191, 113.6968, "06042", "dispatched"),  # Humen, a matter with a unit
        (22.8191, 113.6968, None, "triage"),  # no matter: waits for the command centre
    ],
)
def test_both_ways_write_the_same_rows(
    session: Session, lat: float, lon: float, matter: str | None, outcome: str
) -> None:
    _, _, location = areas.locate(session, lat, lon)
    both = []
    for write in (intake._write_one_statement, intake._write_orm):
        opened = report(lat, lon, matter)
        new, got, _ = intake.open_case(
            session, opened, location, matter, now=NOW, actor=API, address="虎门镇某路"
        )
        assert got == outcome
        write(session, new, opened)
        session.flush()
        assert new.case.id is not None and opened.case_id == new.case.id
        both.append((new.case.id, new.case.number))
    session.expire_all()
    fast, orm = (written(session, case_id) for case_id, _ in both)
    assert fast["case"] == orm["case"]
    assert fast["reports"] == orm["reports"]
    assert fast["events"] == orm["events"]
    assert fast["outbox"] == orm["outbox"]
    assert len(fast["events"]) == (4 if outcome == "dispatched" else 1)
    assert fast["outbox"] == (
        [("notifications:notify_case_event", {"event": 3}, "default")]
        if outcome == "dispatched"
        else []
    )
    assert both[0][1] != both[1][1]  # two numbers from the one sequence


def test_the_store_function_moves_a_stored_report_through_the_orm(session: Session) -> None:
    _, _, location = areas.locate(session, 22.8191, 113.6968)
    first = report(22.8191, 113.6968, "06042")
    new, _, _ = intake.open_case(session, first, location, "06042", now=NOW, actor=API)
    intake.store(session, new, first)
    moved, _, _ = intake.open_case(session, first, location, "06042", now=NOW, actor=API)
    intake.store(session, moved, first)  # a persistent report: the split's way
    session.flush()
    assert first.case_id == moved.case.id != new.case.id
    submit = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == moved.case.id, CaseEvent.action == "submit")
    ).one()
    assert submit.data["report_id"] == first.id
