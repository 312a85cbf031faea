"""submit_report against the real schema: locate, classify, route, dispatch, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases.models import CaseEvent
from urbanops.core import geo
from urbanops.core.errors import InvalidInput
from urbanops.identity.roles import SYSTEM
from urbanops.reports.models import Report
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ..conftest import PASSWORD

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 Asia/Shanghai
DONGCHENG = (23.0187, 113.7924)
HUMEN = (22.8191, 113.6968)


def submit(session: Session, lat: float, lon: float, now: datetime = NOW, **kw: object):  # type: ignore[no-untyped-def]
    return submit_report(
        session, actor=SYSTEM, now=now, data=ReportIn(lat=lat, lon=lon, **kw), source="api"
    )


def test_known_matter_is_accepted_registered_and_dispatched_in_one_go(session: Session) -> None:
    r = submit(session, *HUMEN, description="垃圾桶满了", matter_code="06042")
    assert r.outcome == "dispatched"
    assert r.case.status == "dispatched"
    assert r.case.town_code == "441900121"
    assert r.unit_name == "虎门城管分局"
    actions = session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == r.case.id).order_by(CaseEvent.id)
    ).all()
    assert actions == ["submit", "accept", "register", "dispatch"]
    assert r.case.number.startswith("20260302")  # the report's local date, from the service's clock
    # class 06 handles within 1 working day: counting from the next day, end of its working hours
    assert r.case.stage == "handle"
    assert r.case.due_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tue 18:00 local


def test_responsibility_matrix_routes_by_town_and_class(session: Session) -> None:
    core = submit(session, *DONGCHENG, matter_code="01037")  # street light, urban core
    town = submit(session, *HUMEN, matter_code="01037")  # street light in a town
    traffic = submit(session, *HUMEN, matter_code="02017")  # traffic railing, city-wide
    assert (core.unit_name, town.unit_name, traffic.unit_name) == (
        "市政公用事务中心",
        "虎门城管分局",
        "市交通运输局",
    )


def test_gcj02_coordinates_are_converted_before_locating(session: Session) -> None:
    glat, glon = geo.wgs84_to_gcj02(*HUMEN)
    r = submit(session, glat, glon, datum="gcj02", matter_code="06042")
    assert r.case.lat == pytest.approx(HUMEN[0], abs=1e-7)
    assert r.case.lon == pytest.approx(HUMEN[1], abs=1e-7)
    report = session.get(Report, r.report.id)
    assert report is not None and report.datum == "gcj02" and report.raw_lat == glat


def test_point_outside_every_town_is_refused_and_nothing_is_written(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Report))
    with pytest.raises(InvalidInput) as err:
        submit(session, 23.13, 113.26, matter_code="06042")  # Guangzhou
    assert err.value.code == "outside_service_area"
    assert session.scalar(select(func.count()).select_from(Report)) == before


def test_unknown_matter_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        submit(session, *HUMEN, matter_code="99999")
    assert err.value.code == "unknown_matter"


def test_without_a_confident_matter_the_case_waits_in_triage(session: Session) -> None:
    r = submit(session, *HUMEN, description="")
    assert r.outcome == "triage"
    assert r.case.status == "reported"
    assert r.case.unit_id is None


def test_text_is_classified_and_dispatched_when_confident(session: Session) -> None:
    r = submit(session, *HUMEN, description="这里的井盖不见了，一个大洞，好危险")
    assert r.suggestions and r.suggestions[0].matter_code == "01023"
    assert r.outcome == "dispatched"
    assert r.case.matter_code == "01023"


def test_category_restricts_suggestions_to_its_matters(session: Session) -> None:
    # no text: a category of several matters cannot pick one, so the case waits in triage
    bare = submit(session, *HUMEN, category_code="public_toilets")
    assert (bare.outcome, bare.case.category_code, bare.case.matter_code) == (
        "triage",
        "public_toilets",
        None,
    )
    # with text, only the category's matters are suggested, renormalised
    r = submit(
        session,
        HUMEN[0] + 0.01,
        HUMEN[1],
        category_code="public_toilets",
        description="公厕好臭，冇人打扫",
    )
    assert {s.matter_code for s in r.suggestions} <= {"03001", "03002"}
    assert sum(s.confidence for s in r.suggestions) == pytest.approx(1.0, abs=1e-3)
    assert r.outcome == "dispatched" and r.case.matter_code == r.suggestions[0].matter_code


def test_idempotency_key_returns_the_same_report(session: Session) -> None:
    first = submit(session, *HUMEN, matter_code="06042", idempotency_key="retry-key-0001")
    again = submit(session, *HUMEN, matter_code="06042", idempotency_key="retry-key-0001")
    assert again.outcome == "replayed"
    assert (again.case.id, again.report.id) == (first.case.id, first.report.id)


def test_nearby_report_of_the_same_matter_joins_the_open_case(session: Session) -> None:
    first = submit(session, *HUMEN, matter_code="06042")
    # ~30 m north: joins; ~80 m north: a new case; a different matter: a new case
    near = submit(
        session, HUMEN[0] + 0.00027, HUMEN[1], now=NOW + timedelta(hours=1), matter_code="06042"
    )
    far = submit(
        session, HUMEN[0] + 0.00072, HUMEN[1], now=NOW + timedelta(hours=1), matter_code="06042"
    )
    other = submit(session, *HUMEN, matter_code="09006")
    assert near.outcome == "joined" and near.case.id == first.case.id
    assert near.case.supporters == 1
    assert far.case.id != first.case.id and far.outcome == "dispatched"
    assert other.case.id != first.case.id


def test_old_cases_are_not_joined(session: Session) -> None:
    first = submit(session, *HUMEN, matter_code="06042")
    later = submit(session, *HUMEN, now=NOW + timedelta(days=8), matter_code="06042")
    assert later.case.id != first.case.id


def test_dispatch_notification_is_enqueued_in_the_same_transaction(session: Session) -> None:
    r = submit(session, *HUMEN, matter_code="06042")
    jobs = session.execute(
        text("SELECT task, args FROM job_outbox WHERE args->>'event_id' IS NOT NULL")
    ).all()
    rows = session.execute(
        select(CaseEvent.id, CaseEvent.action).where(CaseEvent.case_id == r.case.id)
    )
    events: dict[int, str] = dict(rows.all())
    enqueued = [
        (j.task, events[int(j.args["event_id"])]) for j in jobs if int(j.args["event_id"]) in events
    ]
    assert enqueued == [("notifications:notify_case_event", "dispatch")]
    deferred = session.scalar(  # no job yet: the outbox's drainer defers it after the commit
        text("SELECT count(*) FROM procrastinate_jobs WHERE (args->>'event_id')::bigint = ANY(:e)"),
        {"e": list(events)},
    )
    assert deferred == 0


def test_staff_can_split_a_wrong_duplicate_match(session: Session) -> None:
    from urbanops.identity import service as identity
    from urbanops.identity.roles import Role
    from urbanops.reports.merging import split_report

    clerk = identity.actor_for_user(
        identity.create_user(
            session,
            username="t_splitter",
            password=PASSWORD,
            display_name="c",
            roles=[Role.intake_clerk],
        )
    )
    first = submit(session, *HUMEN, matter_code="06042", description="第一处")
    joined = submit(
        session,
        HUMEN[0] + 0.0002,
        HUMEN[1],
        matter_code="06042",
        description="其实是另一处",
        idempotency_key="split-key-0001",
    )
    assert joined.outcome == "joined" and first.case.supporters == 1
    result = split_report(
        session, actor=clerk, now=NOW, case_id=first.case.id, report_id=joined.report.id
    )
    assert result.case.id != first.case.id and result.case.status == "dispatched"
    assert first.case.supporters == 0
    moved = session.get(Report, joined.report.id)
    assert moved is not None and moved.case_id == result.case.id and not moved.is_supporter
    assert (
        session.scalar(
            select(func.count()).select_from(Report).where(Report.case_id == result.case.id)
        )
        == 1
    )
    # the retried submit of that report now finds its own case
    again = submit(
        session, HUMEN[0] + 0.0002, HUMEN[1], matter_code="06042", idempotency_key="split-key-0001"
    )
    assert again.case.id == result.case.id


WAGES = (
    "尊敬的领导：我们是在厚街一个工地做工的十几个工人，包工头从今年三月开始就拖欠工资，"
    "到现在已经五个月没发了，打电话给老板也不接，劳动站说要我们自己去仲裁，"
    "我们都是外地来的，没钱没时间，恳请领导帮我们讨回血汗钱。"
)


def test_a_message_for_another_channel_waits_in_triage_marked_with_that_channel(
    session: Session,
) -> None:
    r = submit(session, *HUMEN, description=WAGES)
    assert r.outcome == "triage" and r.case.status == "reported" and r.case.unit_id is None
    assert r.case.in_remit is not None and r.case.in_remit < 0.5
    assert r.case.suspected_channel == "hrss"
    submitted = session.scalars(
        select(CaseEvent.data).where(CaseEvent.case_id == r.case.id, CaseEvent.action == "submit")
    ).one()
    assert submitted["suspected_channel"] == "hrss"


def test_a_suspected_message_is_not_dispatched_even_with_a_confident_matter(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urbanops.reports import service, suggest

    held = suggest.Reading(
        [suggest.Suggestion("06042", "垃圾站（箱）满溢", 0.99)], 0.2, "housing", True
    )
    monkeypatch.setattr(service, "read", lambda *a, **k: held)
    r = submit(session, *HUMEN, description="物业不清理小区垃圾还照收物业费")
    assert r.outcome == "triage" and r.case.suspected_channel == "housing"
    assert r.case.matter_code is None and r.case.in_remit == 0.2
    assert r.report.suggestions == [{"matter_code": "06042", "confidence": 0.99}]  # for the clerk


def test_a_clear_report_in_remit_is_dispatched_and_a_vague_one_is_not(session: Session) -> None:
    clear = submit(
        session,
        *HUMEN,
        description="小区门口那条路的路灯坏了一个多星期，晚上黑漆漆的，老人小孩走路很不安全",
    )
    assert clear.outcome == "dispatched" and clear.case.matter_code == "01037"
    assert clear.case.in_remit is not None and clear.case.in_remit > 0.5
    assert clear.case.suspected_channel is None
    vague = submit(session, *DONGCHENG, description="这边路口很乱，看一下")
    assert vague.outcome == "triage" and vague.case.matter_code is None
