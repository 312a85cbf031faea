"""Deadlines across New Year while next year's schedule is unpublished, and their recomputation
when it is published (and republished corrected), through the real services and schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, extract, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from urbanops.admin import calendar as admin
from urbanops.cases import clock, extensions, verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CLOCKED, CaseStatus, stage_for
from urbanops.cli import app
from urbanops.core.calendar import SHANGHAI
from urbanops.core.calendar_store import CalendarOverride, CalendarYear, load_calendar
from urbanops.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from urbanops.identity import service as identity
from urbanops.identity.roles import SYSTEM, Role
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ..conftest import PASSWORD, Staff, token

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "calendar" / "holiday-cn-2027-fixture.json"
DONGCHENG = (23.0159, 113.7796)
MATTER_5_WD = "05002"  # scope 05: handle within 5 working days
DISPATCHED = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)  # Monday


def local(y: int, m: int, d: int, hh: int = 18) -> datetime:
    return datetime(y, m, d, hh, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    """The calendar is cached per process: no test may see another's (rolled back) years."""
    clock._ref.invalidate()
    yield
    clock._ref.invalidate()


def new_case(session: Session, now: datetime = DISPATCHED, matter: str = MATTER_5_WD) -> Case:
    data = ReportIn(lat=DONGCHENG[0], lon=DONGCHENG[1], matter_code=matter)
    case = submit_report(
        session, actor=SYSTEM, now=now, data=data, source="api", check_duplicates=False
    ).case
    assert case.status == "dispatched" and case.stage == "handle"
    return case


def fixture_json(**changes: bool) -> bytes:
    """The 2027 fixture, with days added or changed (`d2027_01_04=True` adds 1/4 off)."""
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for key, off in changes.items():
        day = key[1:].replace("_", "-")
        doc["days"] = [d for d in doc["days"] if d["date"] != day]
        doc["days"].append({"name": "更正", "date": day, "isOffDay": off})
    return json.dumps(doc, ensure_ascii=False).encode()


def recompute_events(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.action == "recompute_deadline")
            .order_by(CaseEvent.id)
        )
    )


def test_clocked_statuses_are_those_with_a_stage() -> None:
    assert {s for s in CaseStatus if stage_for(s) is not None} == CLOCKED


def test_a_deadline_into_2027_is_provisional_until_2027_is_published(session: Session) -> None:
    case = new_case(session)
    # 12-29, 12-30, 12-31, 1-1 (Fri), 1-4: weekdays alone
    assert case.due_at == local(2027, 1, 4)
    assert case.deadline_provisional and not case.deadline_unknown

    imported = admin.import_schedule(
        session, actor=SYSTEM, now=DISPATCHED, data=FIXTURE.read_bytes(), filename=FIXTURE.name
    )
    assert imported.written and not imported.published
    # a draft does not count
    assert load_calendar(session).is_workday(local(2027, 1, 1).date())
    session.refresh(case)
    assert case.due_at == local(2027, 1, 4) and case.deadline_provisional

    published_at = DISPATCHED + timedelta(hours=2)
    result = admin.publish_year(session, actor=SYSTEM, now=published_at, year=2027)
    assert result.recomputed == 1 and result.provisional_year == 2028
    # 1-1 .. 1-3 off: 12-29, 12-30, 12-31, 1-4, 1-5
    assert case.due_at == local(2027, 1, 5)
    assert not case.deadline_provisional and not case.deadline_unknown
    assert case.next_step_at is not None and case.next_step_at > published_at
    (event,) = recompute_events(session, case)
    assert event.public is False and event.at == published_at
    assert datetime.fromisoformat(event.data["previous_due_at"]) == local(2027, 1, 4)
    assert datetime.fromisoformat(event.data["due_at"]) == local(2027, 1, 5)
    assert event.data["provisional"] is False

    # a new case now counts the published year, not provisionally
    other = new_case(session, now=published_at)
    assert other.due_at == local(2027, 1, 5) and not other.deadline_provisional


def test_a_corrected_schedule_republished_moves_deadlines_again(session: Session) -> None:
    case = new_case(session)
    t = DISPATCHED + timedelta(hours=1)
    admin.import_schedule(session, actor=SYSTEM, now=t, data=FIXTURE.read_bytes(), publish=True)
    assert case.due_at == local(2027, 1, 5) and not case.deadline_provisional

    # a plain re-import of a published year is refused and writes nothing
    with pytest.raises(Conflict) as err:
        admin.import_schedule(session, actor=SYSTEM, now=t, data=fixture_json(d2027_01_04=True))
    assert err.value.code == "calendar_year_published"
    assert session.get(CalendarOverride, local(2027, 1, 4).date()) is None
    with pytest.raises(Conflict):
        admin.publish_year(session, actor=SYSTEM, now=t, year=2027)

    # correction: 1-4 off as well -> 12-29, 12-30, 12-31, 1-5, 1-6
    t2 = t + timedelta(hours=1)
    result = admin.import_schedule(
        session, actor=SYSTEM, now=t2, data=fixture_json(d2027_01_04=True), publish=True
    )
    assert result.published == [2027] and result.recomputed == 1
    assert case.due_at == local(2027, 1, 6)
    # and back: a Saturday make-up day 1-2 instead -> 12-29, 12-30, 12-31, 1-2, 1-4
    t3 = t2 + timedelta(hours=1)
    admin.import_schedule(
        session, actor=SYSTEM, now=t3, data=fixture_json(d2027_01_02=False), publish=True
    )
    assert case.due_at == local(2027, 1, 4)
    moves = [datetime.fromisoformat(e.data["due_at"]) for e in recompute_events(session, case)]
    assert moves == [local(2027, 1, 5), local(2027, 1, 6), local(2027, 1, 4)]
    assert session.get(CalendarOverride, local(2027, 1, 4).date()) is None  # replaced whole


def test_a_deadline_into_2028_stays_unknown_until_2027_is_published(session: Session) -> None:
    late = datetime(2027, 12, 28, 10, 0, tzinfo=SHANGHAI)
    case = new_case(session, now=late)
    assert case.due_at is None and case.deadline_unknown and not case.deadline_provisional
    assert case.next_step_at is None

    admin.import_schedule(session, actor=SYSTEM, now=DISPATCHED, data=FIXTURE.read_bytes())
    session.refresh(case)
    assert case.deadline_unknown  # a draft changes nothing
    admin.publish_year(session, actor=SYSTEM, now=DISPATCHED, year=2027)
    # 2028 is now the provisional year: 12-29, 12-30, 12-31, 2028-01-03 (Mon), 01-04
    assert case.due_at == local(2028, 1, 4)
    assert case.deadline_provisional and not case.deadline_unknown
    assert case.next_step_at is not None


def test_an_extension_approved_while_unknown_counts_once_published(
    session: Session, staff: dict[str, Staff]
) -> None:
    late = datetime(2027, 12, 28, 10, 0, tzinfo=SHANGHAI)
    case = new_case(session, now=late)
    handler = staff["dongcheng"].actor
    extensions.request_extension(
        session,
        actor=handler,
        now=late,
        case_id=case.id,
        amount=2,
        unit="working_days",
        reason="雨天",
    )
    extensions.decide_extension(
        session, actor=staff["dispatcher"].actor, now=late, case_id=case.id, approve=True
    )
    assert case.due_at is None and case.deadline_unknown
    admin.import_schedule(session, actor=SYSTEM, now=late, data=FIXTURE.read_bytes(), publish=True)
    # 2028-01-04 (provisional, weekdays) + 2 working days
    assert case.due_at == local(2028, 1, 6) and case.deadline_provisional


def test_publish_steps_back_down_the_ladder(session: Session) -> None:
    case = new_case(session)
    from urbanops.cases.sweep import sweep

    sweep(session, local(2027, 1, 4, 19))  # past the provisional deadline: overdue
    assert case.overdue and case.escalation_level == 2
    admin.import_schedule(
        session, actor=SYSTEM, now=local(2027, 1, 4, 19), data=FIXTURE.read_bytes(), publish=True
    )
    assert case.due_at == local(2027, 1, 5)
    assert not case.overdue and case.escalation_level == 1  # reminded, not overdue any more
    assert case.next_step_at == local(2027, 1, 5)


def test_cases_without_a_running_clock_are_left_alone(session: Session) -> None:
    case = new_case(session)
    verbs.park_case(session, actor=SYSTEM, now=DISPATCHED, case_id=case.id, reason="待协调")
    assert case.stage is None and case.due_at is None and not case.deadline_provisional
    admin.import_schedule(
        session, actor=SYSTEM, now=DISPATCHED, data=FIXTURE.read_bytes(), publish=True
    )
    assert recompute_events(session, case) == []


def test_only_admins_import_and_publish(session: Session, staff: dict[str, Staff]) -> None:
    with pytest.raises(PermissionDenied):
        admin.import_schedule(
            session, actor=staff["chief"].actor, now=DISPATCHED, data=FIXTURE.read_bytes()
        )
    assert session.get(CalendarYear, 2027) is None


def test_publish_needs_an_import_and_the_year_before(session: Session) -> None:
    with pytest.raises(NotFound):
        admin.publish_year(session, actor=SYSTEM, now=DISPATCHED, year=2027)
    csv = b"date,off|on,name\n2028-01-01,off,\xe5\x85\x83\xe6\x97\xa6\n"
    admin.import_schedule(session, actor=SYSTEM, now=DISPATCHED, data=csv)
    with pytest.raises(Conflict) as err:
        admin.publish_year(session, actor=SYSTEM, now=DISPATCHED, year=2028)
    assert err.value.code == "calendar_previous_year_unpublished"
    assert session.get(CalendarYear, 2028).published_at is None  # type: ignore[union-attr]


def test_malformed_files_write_nothing(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        admin.import_schedule(
            session, actor=SYSTEM, now=DISPATCHED, data=b"2027-01-01,off\n2027-13-01,off\n"
        )
    assert err.value.extra == {"line": 2}
    assert session.get(CalendarYear, 2027) is None
    assert session.get(CalendarOverride, local(2027, 1, 1).date()) is None


def test_preview_writes_nothing(session: Session) -> None:
    result = admin.import_schedule(
        session, actor=SYSTEM, now=DISPATCHED, data=FIXTURE.read_bytes(), preview=True
    )
    assert not result.written and result.years[0].year == 2027
    assert session.get(CalendarYear, 2027) is None


def test_year_view_reports_status_counts_and_holidays(session: Session) -> None:
    assert admin.year_view(session, 2026).status == "builtin"
    assert admin.year_view(session, 2027).status == "none"
    admin.import_schedule(session, actor=SYSTEM, now=DISPATCHED, data=FIXTURE.read_bytes())
    view = admin.year_view(session, 2027)
    assert view.status == "draft" and view.days_off == 11 and view.make_up_days == 1
    assert [(h.name, h.first.isoformat(), h.days_off) for h in view.holidays] == [
        ("元旦", "2027-01-01", 3),
        ("春节", "2027-02-05", 8),
    ]
    admin.publish_year(session, actor=SYSTEM, now=datetime(2026, 12, 1, tzinfo=UTC), year=2027)
    assert admin.year_view(session, 2027).status == "published"
    assert [v.year for v in admin.imported_years(session)] == [2027]


# --- the JSON API --------------------------------------------------------------------------------


@pytest.fixture
def admin_headers(session: Session, client: TestClient) -> dict[str, str]:
    identity.create_user(
        session, username="t_admin", password=PASSWORD, display_name="admin", roles=[Role.admin]
    )
    return token(client, "t_admin")


def upload(
    client: TestClient, headers: dict[str, str], data: bytes, name: str = "2027.json", **form: str
) -> Any:
    return client.post(
        "/api/v1/admin/calendar/import",
        headers=headers,
        files={"file": (name, data, "application/octet-stream")},
        data=form,
    )


def test_api_import_review_and_publish(
    session: Session, client: TestClient, admin_headers: dict[str, str]
) -> None:
    case = new_case(session)
    listing = client.get("/api/v1/admin/calendar", headers=admin_headers).json()
    assert listing["provisional_year"] == 2027 and listing["years"] == []
    shown = client.get(f"/api/v1/cases/{case.id}", headers=admin_headers).json()
    assert shown["deadline_provisional"] is True and shown["deadline_unknown"] is False

    r = upload(client, admin_headers, FIXTURE.read_bytes(), preview="true")
    assert r.status_code == 200 and r.json()["written"] is False
    assert r.json()["years"][0]["status"] == "preview"
    assert client.get("/api/v1/admin/calendar", headers=admin_headers).json()["years"] == []

    r = upload(client, admin_headers, FIXTURE.read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["format"] == "holiday-cn" and body["published"] == []
    (year,) = body["years"]
    assert year["status"] == "draft" and year["days_off"] == 11 and year["make_up_days"] == 1
    assert [h["name"] for h in year["holidays"]] == ["元旦", "春节"]

    view = client.get("/api/v1/admin/calendar/2027", headers=admin_headers).json()
    assert view["status"] == "draft" and view["source"] == "2027.json"
    assert {"date": "2027-02-20", "off": False, "name": "春节"} in view["days"]

    r = client.post("/api/v1/admin/calendar/2027/publish", headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"year": 2027, "recomputed": 1, "provisional_year": 2028}
    shown = client.get(f"/api/v1/cases/{case.id}", headers=admin_headers).json()
    assert shown["deadline_provisional"] is False
    assert datetime.fromisoformat(shown["due_at"]) == local(2027, 1, 5)
    timeline = [e["action"] for e in shown["timeline"]]
    assert timeline[-1] == "recompute_deadline"
    listing = client.get("/api/v1/admin/calendar", headers=admin_headers).json()
    assert listing["provisional_year"] == 2028
    assert [(y["year"], y["status"]) for y in listing["years"]] == [(2027, "published")]

    r = client.post("/api/v1/admin/calendar/2027/publish", headers=admin_headers)
    assert r.status_code == 409 and r.json()["code"] == "calendar_year_already_published"
    r = upload(client, admin_headers, fixture_json(d2027_01_04=True))
    assert r.status_code == 409 and r.json()["code"] == "calendar_year_published"
    r = upload(client, admin_headers, fixture_json(d2027_01_04=True), publish="true")
    assert r.status_code == 200 and r.json()["recomputed"] == 1
    shown = client.get(f"/api/v1/cases/{case.id}", headers=admin_headers).json()
    assert datetime.fromisoformat(shown["due_at"]) == local(2027, 1, 6)


def test_api_refuses_bad_files_and_years_and_non_admins(
    session: Session, client: TestClient, staff: dict[str, Staff], admin_headers: dict[str, str]
) -> None:
    # (a refused request rolls back what the test wrote and did not commit: log in first)
    chief = token(client, staff["chief"].username)
    r = upload(client, admin_headers, b"2027-01-01,off\n2027-01-02,of\n", name="x.csv")
    assert r.status_code == 422 and r.json()["code"] == "calendar_file_malformed"
    assert r.json()["line"] == 2 and "第 2 行" in r.json()["detail"]
    assert session.get(CalendarYear, 2027) is None
    r = upload(client, {**admin_headers, "Accept-Language": "en"}, b"", name="x.csv")
    assert r.status_code == 422 and r.json()["detail"] == "the file is empty"
    assert client.post("/api/v1/admin/calendar/import", headers=admin_headers).status_code == 422
    for path in ("/api/v1/admin/calendar/99999999999999999999", "/api/v1/admin/calendar/1999"):
        assert client.get(path, headers=admin_headers).status_code == 422
    r = client.post("/api/v1/admin/calendar/2027/publish", headers=admin_headers)
    assert r.status_code == 404 and r.json()["code"] == "calendar_year_not_imported"

    assert client.get("/api/v1/admin/calendar", headers=chief).status_code == 403
    r = upload(client, chief, FIXTURE.read_bytes())
    assert r.status_code == 403 and r.json()["code"] == "admin_only"
    assert client.post("/api/v1/admin/calendar/2027/publish", headers=chief).status_code == 403
    assert client.get("/api/v1/admin/calendar").status_code == 401
    assert session.get(CalendarYear, 2027) is None


def test_the_admin_page_is_served(client: TestClient) -> None:
    r = client.get("/admin/calendar")
    assert r.status_code == 200 and "节假日安排" in r.text
    assert "/static/app/admin/calendar.js" in r.text and "<script>" not in r.text
    assert client.get("/static/app/admin/calendar.js").status_code == 200


# --- the command line (commits: each test removes the year again) --------------------------------

runner = CliRunner()


@pytest.fixture
def clean_2027(engine: Engine) -> Iterator[None]:
    def remove() -> None:
        with sessionmaker(engine).begin() as s:
            s.execute(delete(CalendarOverride).where(extract("year", CalendarOverride.day) == 2027))
            s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
            clock.calendar_changed(s)

    remove()
    yield
    remove()


def test_cli_import_show_publish_and_add_workdays(clean_2027: None, tmp_path: Path) -> None:
    r = runner.invoke(app, ["calendar", "add-workdays", "2026-12-28", "5"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "2027-01-04" and lines[1].startswith("provisional")

    bad = tmp_path / "bad.csv"
    bad.write_text("date,off|on\n2027-01-01,off\n2027-01-02 off\n", encoding="utf-8")
    r = runner.invoke(app, ["calendar", "import", str(bad)])
    assert r.exit_code == 2 and "第 3 行" in r.output and "line 3" in r.output
    assert "Traceback" not in r.output
    assert "未导入" in runner.invoke(app, ["calendar", "show", "2027"]).output

    r = runner.invoke(app, ["calendar", "import", str(FIXTURE)])
    assert r.exit_code == 0, r.output
    assert (
        "2027: 草稿 / draft; 放假 11 天" in r.output and "元旦 2027-01-01–01-03（3 天）" in r.output
    )
    assert "urbanops calendar publish 2027" in r.output
    r = runner.invoke(app, ["calendar", "show", "2027"])
    assert r.output.splitlines()[0].startswith("2027: 草稿")
    assert "2027-02-20 周六 补班 on  春节" in r.output
    # the draft does not count yet
    assert runner.invoke(app, ["calendar", "add-workdays", "2026-12-28", "5"]).output.startswith(
        "2027-01-04\nprovisional"
    )

    r = runner.invoke(app, ["calendar", "publish", "2027"])
    assert r.exit_code == 0, r.output
    assert "2027: 已发布 / published" in r.output and "provisional year now: 2028" in r.output
    assert runner.invoke(app, ["calendar", "show", "2027"]).output.startswith("2027: 已发布")
    r = runner.invoke(app, ["calendar", "add-workdays", "2026-12-28", "5"])
    assert r.output.splitlines()[:2] == [
        "2027-01-05",
        "5 working days after 2026-12-28 (counting from the next day)",
    ]
    r = runner.invoke(app, ["calendar", "publish", "2027"])
    assert r.exit_code == 2 and "已发布" in r.output
    r = runner.invoke(app, ["calendar", "import", str(FIXTURE)])
    assert r.exit_code == 2 and "--publish" in r.output
    r = runner.invoke(app, ["calendar", "import", str(FIXTURE), "--publish"])
    assert r.exit_code == 0 and "已发布 / published" in r.output


def test_cli_add_workdays_into_2028_is_refused(clean_2027: None) -> None:
    r = runner.invoke(app, ["calendar", "add-workdays", "2027-12-28", "5"])
    assert r.exit_code == 2 and "2028" in r.output
