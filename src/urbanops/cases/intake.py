"""Intake's one writer: a new case, the report that opened it and its first timeline rows.

`open_case` builds the case in memory and takes its first steps through the apply step's
`plan` (the same checks, status and clock as for a stored case): accepted, registered and
dispatched by the system at once when the matter and the responsible unit are known, with the
same dispatch plan as `dispatch_case`; otherwise it waits in the triage queue. `store` writes
the case, its report and its timeline with the notifications' outbox rows, in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import h3
from sqlalchemy import DateTime, TextClause, bindparam, inspect, text
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases.models import Case, CaseEvent, number_sql
from urbanops.cases.timeline import NOTIFY_TASK, PROJECTED, PROJECTION_TASK, notifies, plan
from urbanops.cases.verbs import dispatch_plan
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.core import db, geo, outbox
from urbanops.core.settings import get_settings
from urbanops.identity.roles import SYSTEM, Actor
from urbanops.reports.models import Report

A = CaseAction
# the case number: the report's local date (the service's clock, not the database's) + sequence
_NUMBER = text(number_sql(":number_at")).bindparams(
    bindparam("number_at", type_=DateTime(timezone=True))
)


@dataclass(frozen=True)
class PlannedEvent:
    """A timeline row of a case that is not written yet (see `NewCase`)."""

    values: dict[str, Any]  # the `CaseEvent` columns; `case_id` is filled in on insert
    notify: bool


@dataclass
class NewCase:
    """A case built in memory with its first timeline rows, to be written by `store`."""

    case: Case
    events: list[PlannedEvent] = field(default_factory=list)

    def submit(
        self, session: Session, *, actor: Actor, now: datetime, data: dict[str, Any]
    ) -> None:
        """The timeline row of the report that opened the case."""
        self._add(plan(session, self.case, A.submit, actor=actor, now=now, data=data), A.submit)

    def step(
        self,
        session: Session,
        action: CaseAction,
        *,
        actor: Actor,
        now: datetime,
        data: dict[str, Any] | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """The apply step on the unsaved case."""
        values = plan(session, self.case, action, actor=actor, now=now, data=data, changes=changes)
        self._add(values, action)

    def _add(self, values: dict[str, Any], action: CaseAction) -> None:
        self.events.append(PlannedEvent(values, notifies(action)))


def open_case(
    session: Session,
    report: Report,
    location: geo.Location,
    matter: str | None,
    *,
    now: datetime,
    actor: Actor,
    address: str = "",
    submit_data: dict[str, object] | None = None,
    remit: tuple[float | None, str | None] = (None, None),
) -> tuple[NewCase, str, str | None]:
    """The new case `report` opens, with its first timeline rows (not written yet). Returns it
    with the outcome (`dispatched` or `triage`) and the unit's name. `remit` is the classifier's
    probability that the text is urban management and the other channel it suspects when not:
    a suspected case never leaves the triage queue without a clerk."""
    in_remit, suspected = remit
    case = Case(
        status=str(CaseStatus.reported),
        source=report.source,
        matter_code=matter,
        category_code=report.category_code,
        description=report.description,
        address=address,
        lat=report.lat,
        lon=report.lon,
        h3_cell=h3.latlng_to_cell(report.lat, report.lon, get_settings().geo.h3_resolution),
        town_code=location.town_code,
        community_code=location.community_code,
        grid_cell_code=location.grid_cell_code,
        reporter_citizen_id=report.reporter_citizen_id,
        reported_at=now,
        updated_at=now,
        in_remit=in_remit,
        suspected_channel=suspected,
    )
    new = NewCase(case)
    submitted: dict[str, Any] = {"source": report.source, **(submit_data or {})}
    if suspected is not None:
        submitted["suspected_channel"] = suspected
    new.submit(session, actor=actor, now=now, data=submitted)
    if suspected is not None or not (
        matter and areas.responsible_unit(session, location.town_code, matter)
    ):
        return new, "triage", None
    # automatic intake: the system accepts, registers and dispatches at once
    new.step(session, A.accept, actor=SYSTEM, now=now, data={"matter_code": matter, "auto": True})
    new.step(session, A.register, actor=SYSTEM, now=now)
    dispatch = dispatch_plan(session, case, auto=True)
    new.step(
        session,
        A.dispatch,
        actor=SYSTEM,
        now=now,
        data=dispatch.data(),
        changes=dispatch.changes(now),
    )
    return new, "dispatched", dispatch.unit_name


def store(session: Session, new: NewCase, report: Report, *, savepoint: bool = False) -> None:
    """Write a new case and its timeline, and attach `report` to it: a new report is inserted,
    a stored one moves to the case (as a split does). The `submit` row names the report; the
    rows that notify get their job in the outbox. In a savepoint when the report may lose a
    race for its idempotency key (the caller catches `IntegrityError`).

    A new report takes the one-statement path (`_NEW_CASE`): through the ORM the same rows cost
    the server twice the CPU (three flushes, ~13 ms against ~6 ms a report in the intake
    benchmark). `tests/integration/cases/test_intake_store.py` writes the same input both ways
    and compares every column."""
    write = _write_orm if inspect(report).persistent else _write_one_statement
    if savepoint:
        with session.begin_nested():
            write(session, new, report)
    else:
        write(session, new, report)
    if new.case.reporter_citizen_id is not None and any(
        e.values["action"] in PROJECTED for e in new.events
    ):
        outbox.add(session, PROJECTION_TASK)  # a citizen's case registered at once


def _write_orm(session: Session, new: NewCase, report: Report) -> None:
    """Three flushes: the case (its id and number), the report (its id), then the events with
    their outbox rows."""
    new.case.number = _NUMBER.bindparams(number_at=new.case.reported_at)  # type: ignore[assignment]
    session.add(new.case)
    session.flush()
    report.case_id = new.case.id
    session.add(report)
    session.flush()
    for planned in new.events:
        values = dict(planned.values, case_id=new.case.id)
        if values["action"] == A.submit:
            values["data"] = dict(values["data"], report_id=report.id)
        event = CaseEvent(**values)
        session.add(event)
        if planned.notify:
            outbox.add_for(session, NOTIFY_TASK, event, "event_id")
    session.flush()


def _new_case_statement() -> TextClause:
    """INSERT the case, its report, its timeline and the outbox rows of the events that notify,
    in one statement. Each row travels as one JSON parameter read with the table's own row type:
    the text never changes and has four parameters, so psycopg prepares it."""
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
), new_jobs AS (
    {outbox.insert_sql(NOTIFY_TASK, "event_id", notified)}
)
SELECT new_case.id, new_case.number, new_report.id AS report_id FROM new_case, new_report""")


_NEW_CASE = _new_case_statement()


def _write_one_statement(session: Session, new: NewCase, report: Report) -> None:
    """`_NEW_CASE`, then the case and the report become persistent instances of the session
    with their ids and number (not read back)."""
    params = {
        "case": db.to_json(db.insert_values(new.case)),
        "report": db.to_json(db.insert_values(report)),
        "events": db.to_json([e.values for e in new.events]),
        "notify": [e.values["action"] for e in new.events if e.notify],
    }
    session.flush()  # rows the caller has pending (a user the report names) go first
    row = session.execute(_NEW_CASE, params).one()
    new.case.id, new.case.number = row.id, row.number
    report.id, report.case_id = row.report_id, row.id
    db.attach_inserted(session, new.case, report)
