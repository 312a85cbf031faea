"""The live triage queue: cases waiting for a clerk (status `reported`), pushed to the console
as server-sent events the moment they are committed.

How a stream learns of new cases: it polls, every `POLL_SECONDS`, the cases in triage with an
id above its cursor. A partial index holds only the triage cases, so a poll reads a few rows
whatever the size of the table, and it needs no listener connection, no `NOTIFY` (which would
serialise intake's commits, see docs/DESIGN.md on the outbox) and nothing shared between
server processes: every worker of `urbanops serve --workers N` answers its own streams from
the database, which every process sees alike.

Ids are taken when a row is inserted, so a transaction can commit a lower id after a higher
one was already sent. Each poll therefore also looks back over the triage cases changed in
the last `LOOKBACK` and sends those it has not sent yet; a reconnecting client (its
`Last-Event-ID`) gets the same look back, and keeps each case once by its id. A case this
stream sent that leaves triage (a clerk accepted, merged, voided or referred it) is announced
with a `gone` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.cases.queries import CaseScope
from urbanops.cases.schemas import CaseOut
from urbanops.cases.workflow import STATUS_LABELS_ZH, CaseStatus

POLL_SECONDS = 0.25
LOOKBACK = timedelta(seconds=30)
FIRST_BURST = 100  # the newest triage cases a stream opened without a cursor starts with
BATCH = 200
HEARTBEAT_SECONDS = 15.0  # a comment line, so proxies keep an idle stream open
LIFETIME_SECONDS = 600.0  # then the stream ends; the page reconnects with a fresh ticket
RETRY_MS = 1000  # how long a browser waits before reconnecting by itself
TRIAGE = str(CaseStatus.reported)


@dataclass
class TriageCursor:
    """What one stream has sent: the highest case id, and the ids still shown in triage."""

    scope: CaseScope
    last_id: int | None = None
    shown: set[int] = field(default_factory=set)

    def poll(self, session: Session) -> list[str]:
        """The events since the last poll, as SSE text blocks (at most `BATCH` cases)."""
        cases = self._new_cases(session)
        events = [case_event(c) for c in cases]
        for c in cases:
            self.shown.add(c.id)
            self.last_id = c.id if self.last_id is None else max(self.last_id, c.id)
        gone = self._gone(session)
        self.shown -= set(gone)
        events += [gone_event(i) for i in gone]
        return events

    def _new_cases(self, session: Session) -> Sequence[Case]:
        where: list[ColumnElement[bool]] = [Case.status == TRIAGE]
        if (scoped := self.scope.condition()) is not None:
            where.append(scoped)
        if self.last_id is None:
            # a fresh stream: the newest cases in the queue, oldest of them first
            newest = (
                select(Case).where(*where).order_by(Case.id.desc()).limit(FIRST_BURST).subquery()
            )
            return session.scalars(
                select(Case).join(newest, newest.c.id == Case.id).order_by(Case.id)
            ).all()
        since = func.now() - LOOKBACK
        where.append(or_(Case.id > self.last_id, Case.updated_at > since))
        if self.shown:
            where.append(Case.id.not_in(self.shown))
        return session.scalars(select(Case).where(*where).order_by(Case.id).limit(BATCH)).all()

    def _gone(self, session: Session) -> list[int]:
        if not self.shown:
            return []
        return list(
            session.scalars(
                select(Case.id).where(Case.id.in_(self.shown), Case.status != TRIAGE)
            ).all()
        )


def _block(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in lines) + "\n"


def case_event(case: Case) -> str:
    """`event: case`, its id the case's id (the stream's cursor), its data the case's summary."""
    out = CaseOut.model_validate(case)
    out.status_label = STATUS_LABELS_ZH[CaseStatus(case.status)]
    return _block(["event: case", f"id: {case.id}", f"data: {out.model_dump_json()}"])


def gone_event(case_id: int) -> str:
    """`event: gone`: the case left triage. No id: the cursor stays where it was."""
    return _block(["event: gone", f"data: {json.dumps({'id': case_id})}"])


def opening(retry_ms: int = RETRY_MS) -> str:
    return f"retry: {retry_ms}\n\n"


HEARTBEAT = ": ping\n\n"
