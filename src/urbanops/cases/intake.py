"""Writing a new case: the case, the report that opened it and its first timeline rows.

`NewCase` builds them in memory through the apply step's `plan` (the same checks, status and
clock as for a stored case); `store` writes them in one statement (one round trip instead of an
ORM flush per table) with the notification jobs of the rows that notify.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent, number_sql
from urbanops.cases.timeline import NOTIFY_TASK, notifies, plan
from urbanops.cases.workflow import CaseAction
from urbanops.core import db, jobs
from urbanops.identity.roles import Actor
from urbanops.reports.models import Report

A = CaseAction


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


def _new_case_statement() -> TextClause:
    """INSERT the case, its report and its timeline, and enqueue the events' notifications, in
    one statement. Each row travels as one JSON parameter, read with the table's own row type:
    the text never changes and has a few parameters, so psycopg caches and prepares it."""
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
       {jobs.defer_each_sql(NOTIFY_TASK, "event_id", notified)} AS jobs
FROM new_case, new_report""")


_NEW_CASE = _new_case_statement()


def store(session: Session, new: NewCase, report: Report, *, savepoint: bool) -> None:
    """Write a new case with its report and timeline (`_NEW_CASE`); in a savepoint when it may
    lose a race for its idempotency key (the caller catches `IntegrityError`)."""
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


def store_plain(session: Session, new: NewCase, report: Report) -> None:
    """Write a new case and its timeline through the ORM, attaching `report` (new, or one
    already stored that moves to this case, as a split does); the submit row names it."""
    session.add(new.case)
    if report not in session:
        session.add(report)
    session.flush()  # the case's id and number, and the report's id
    report.case_id = new.case.id
    for planned in new.events:
        values = dict(planned.values, case_id=new.case.id)
        if values["action"] == A.submit:
            values["data"] = dict(values["data"], report_id=report.id)
        event = CaseEvent(**values)
        session.add(event)
        if planned.notify:
            jobs.enqueue_for(session, NOTIFY_TASK, event, "event_id")
    session.flush()
