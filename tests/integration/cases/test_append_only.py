"""The timeline is never rewritten and reports are never deleted: the database refuses it, and
splitting a wrongly merged report is recorded as new rows on both cases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.identity.roles import SYSTEM
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import IntakeResult, submit_report

from ..conftest import NOW, Staff, token

DONGCHENG = (23.0159, 113.7796)


def report(session: Session, lat: float = DONGCHENG[0], **kw: Any) -> IntakeResult:
    data = ReportIn(lat=lat, lon=DONGCHENG[1], matter_code="06042", description="垃圾堆放", **kw)
    return submit_report(session, actor=SYSTEM, now=NOW, data=data, source="api")


def event_rows(session: Session, case_id: int) -> list[tuple[Any, ...]]:
    columns = list(CaseEvent.__table__.c)
    rows = session.execute(
        select(*columns).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    "statement",
    [
        update(CaseEvent).values(note="改写"),
        delete(CaseEvent),
        text("TRUNCATE case_event CASCADE"),
        delete(Report),
        text("TRUNCATE report CASCADE"),
    ],
    ids=["update event", "delete event", "truncate events", "delete report", "truncate reports"],
)
def test_the_database_refuses_to_rewrite_the_record(session: Session, statement: Any) -> None:
    case = report(session).case
    before = event_rows(session, case.id)
    with pytest.raises(IntegrityError, match="refused"), session.begin_nested():
        session.execute(statement)
    session.expire_all()
    assert event_rows(session, case.id) == before
    assert (session.scalar(select(func.count()).select_from(Report)) or 0) >= 1


def test_a_report_may_still_move_to_another_case(session: Session) -> None:
    """Reports are kept, not frozen: a split moves one to a new case."""
    first, second = report(session).case, report(session, lat=DONGCHENG[0] + 0.05).case
    row = session.scalars(select(Report).where(Report.case_id == first.id)).one()
    row.case_id = second.id
    session.flush()
    assert session.scalar(select(func.count()).where(Report.case_id == second.id)) == 2


def test_splitting_a_wrong_duplicate_adds_rows_and_rewrites_none(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    first = report(session)
    joined = report(session, lat=DONGCHENG[0] + 0.0002)  # 22 m away: taken as the same problem
    assert joined.outcome == "joined" and joined.case.id == first.case.id
    case_id, report_id = first.case.id, joined.report.id
    reports_before = session.scalar(select(func.count()).select_from(Report))
    timeline_before = event_rows(session, case_id)
    assert session.get(Case, case_id).supporters == 1  # type: ignore[union-attr]

    r = client.post(
        f"/api/v1/cases/{case_id}/reports/{report_id}/split", headers=token(client, "t_clerk")
    )
    assert r.status_code == 200, r.text
    new_id = r.json()["case_id"]
    assert new_id != case_id and r.json()["status"] == "dispatched"

    session.expire_all()
    # nothing written before was changed, nothing deleted; one row more on the old case
    after = event_rows(session, case_id)
    assert after[: len(timeline_before)] == timeline_before
    assert [row[3] for row in after[len(timeline_before) :]] == ["split"]
    split = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "split")
    ).one()
    assert split.public is False and split.actor_label == "clerk"
    assert split.data["report_id"] == report_id and split.data["new_case_id"] == new_id
    assert session.scalar(select(func.count()).select_from(Report)) == reports_before
    moved = session.get(Report, report_id)
    assert moved is not None and moved.case_id == new_id and moved.is_supporter is False
    old = session.get(Case, case_id)
    assert old is not None and old.supporters == 0
    # the new case's first row names the report and the case it came from
    new_events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == new_id).order_by(CaseEvent.id)
    ).all()
    assert [e.action for e in new_events] == ["submit", "accept", "register", "dispatch"]
    assert new_events[0].data["report_id"] == report_id
    assert new_events[0].data["split_from"] == old.number


def test_only_a_supporter_report_is_split_and_only_by_the_command_centre(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    first = report(session)
    joined = report(session, lat=DONGCHENG[0] + 0.0002)
    url = f"/api/v1/cases/{first.case.id}/reports/{{}}/split"
    r = client.post(url.format(first.report.id), headers=token(client, "t_clerk"))
    assert r.status_code == 409 and r.json()["code"] == "not_a_supporter"
    r = client.post(url.format(joined.report.id), headers=token(client, "t_dongcheng"))
    assert r.status_code == 403 and r.json()["code"] == "role_not_allowed"
    session.expire_all()
    assert session.get(Report, joined.report.id).case_id == first.case.id  # type: ignore[union-attr]
