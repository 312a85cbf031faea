"""转办 through the staff route, and the remit decision in the staff read model.

A clerk refers a case that is not urban management to another channel from reported, accepted
or returned (not once it is dispatched); the channel must exist and be active (else a 422 naming
`channel`); the citizen is told the channel's reply (or the clerk's own), through the outbox.
The staff list and detail carry the model's remit probability, the channel it suspected and the
one the case was referred to (with their names); `?suspected=` picks the cases still in triage
that the model took for another channel's matter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.timeline import NOTIFY_TASK
from urbanops.cases.workflow import CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.catalogue.models import Channel
from urbanops.identity.models import Citizen
from urbanops.notifications.models import Notification
from urbanops.notifications.service import notify_case_event
from urbanops.reports import service as intake_service
from urbanops.reports.suggest import Reading, Suggestion

from ...factories import case_in_status, citizen, report_case
from ..conftest import NOW, Staff, token

S = CaseStatus
HRSS_ZH = "人力资源和社会保障局"
HRSS_EN = "Human Resources and Social Security"


@pytest.fixture(autouse=True)
def fresh_catalogue() -> Iterator[None]:
    """Channel rows changed in a test's transaction leave no snapshot behind them."""
    catalogue.invalidate()
    yield
    catalogue.invalidate()


@pytest.fixture
def clerk(client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    return token(client, staff["clerk"].username)


@pytest.fixture
def reporter(session: Session) -> Citizen:
    return citizen(session, "13912340081", now=NOW)


def refer(client: TestClient, case: Case, headers: dict[str, str], **body: object) -> Response:
    r: Response = client.post(f"/api/v1/cases/{case.id}/actions/refer", json=body, headers=headers)
    return r


def events(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)) or 0


def refer_event(session: Session, case: Case) -> CaseEvent:
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "refer")
    ).one()


def channel_reply(session: Session, code: str) -> str:
    row = session.get(Channel, code)
    assert row is not None
    return row.reply_zh


@pytest.mark.parametrize("status", [S.reported, S.accepted, S.returned], ids=str)
def test_a_clerk_refers_a_case_from_each_status_the_table_allows(
    session: Session,
    client: TestClient,
    clerk: dict[str, str],
    reporter: Citizen,
    status: CaseStatus,
) -> None:
    case = case_in_status(session, status, now=NOW, reporter=reporter)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer", json={"channel": "hrss"}, headers=clerk
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["channel_code"]) == ("referred", "hrss")
    assert (body["channel_name_zh"], body["channel_name_en"]) == (HRSS_ZH, HRSS_EN)
    assert body["allowed_actions"] == []
    last = body["timeline"][-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "refer",
        str(status),
        "referred",
    )
    # no reply given: the citizen is told the channel's own
    assert last["note"] == channel_reply(session, "hrss")
    assert last["data"] == {"channel": "hrss", "reply": channel_reply(session, "hrss")}
    session.refresh(case)
    assert (case.status, case.channel_code) == ("referred", "hrss")


def test_a_dispatched_case_is_not_referred(
    session: Session, client: TestClient, clerk: dict[str, str], staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, S.dispatched, now=NOW)
    before = events(session, case)
    for who in ("clerk", "chief"):
        r = refer(client, case, token(client, staff[who].username), channel="hrss")
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "transition_not_allowed"
    session.refresh(case)
    assert (case.status, case.channel_code) == ("dispatched", None)
    assert events(session, case) == before


def test_only_the_intake_roles_refer(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    case = case_in_status(session, S.reported, now=NOW)
    r = refer(client, case, token(client, staff["dispatcher"].username), channel="hrss")
    assert r.status_code == 403, r.text
    r = refer(client, case, token(client, staff["chief"].username), channel="market")
    assert r.status_code == 200, r.text
    assert r.json()["channel_code"] == "market"


@pytest.mark.parametrize("channel", ["nowhere", "HRSS", ""])
def test_an_unknown_channel_is_a_422_naming_the_field(
    session: Session, client: TestClient, clerk: dict[str, str], channel: str
) -> None:
    case = case_in_status(session, S.reported, now=NOW)
    before = events(session, case)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer",
        json={"channel": channel},
        headers={**clerk, "Accept-Language": "en"},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["code"], r.json()["field"]) == ("unknown_channel", "channel")
    assert "channel" in r.json()["detail"]
    session.refresh(case)
    assert (case.status, case.channel_code) == ("reported", None)
    assert events(session, case) == before


def test_an_inactive_channel_is_refused_in_chinese(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    case = case_in_status(session, S.reported, now=NOW)
    row = session.get(Channel, "justice")
    assert row is not None
    row.is_active = False
    session.flush()
    catalogue.invalidate()
    r = refer(client, case, clerk, channel="justice")
    assert r.status_code == 422, r.text
    problem = r.json()
    assert (problem["code"], problem["field"]) == ("unknown_channel", "channel")
    assert "justice" in problem["detail"] and "停用" in problem["detail"]
    session.refresh(case)
    assert case.status == "reported"


def test_the_clerks_own_reply_is_the_note_and_a_blank_one_is_the_channels(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    own = case_in_status(session, S.reported, now=NOW)
    r = refer(client, own, clerk, channel="housing", reply="  请联系小区物业或住建局  ")
    assert r.status_code == 200, r.text
    assert refer_event(session, own).note == "请联系小区物业或住建局"
    blank = case_in_status(session, S.reported, now=NOW)
    r = refer(client, blank, clerk, channel="housing", reply="   ")
    assert r.status_code == 200, r.text
    assert refer_event(session, blank).note == channel_reply(session, "housing")


def test_the_reporter_is_told_the_reply_through_the_outbox(
    session: Session, client: TestClient, clerk: dict[str, str], reporter: Citizen
) -> None:
    case = case_in_status(session, S.reported, now=NOW, reporter=reporter)
    r = refer(client, case, clerk, channel="market")
    assert r.status_code == 200, r.text
    row = refer_event(session, case)
    assert row.public is True
    queued = session.execute(
        text("SELECT task FROM job_outbox WHERE (args->>'event_id')::bigint = :e"),
        {"e": row.id},
    ).all()
    assert [q[0] for q in queued] == [NOTIFY_TASK]
    # the job the worker runs for that row
    notify_case_event(session, row.id, now=row.at)
    session.flush()
    told = session.scalars(select(Notification).where(Notification.event_id == row.id)).all()
    assert {(n.recipient_kind, n.recipient_id) for n in told} == {("citizen", reporter.id)}
    inbox = [n for n in told if n.channel == "in_app"]
    assert len(inbox) == 1
    assert "转办" in inbox[0].title and "已转办" in inbox[0].body
    assert channel_reply(session, "market") in inbox[0].body


# --- the read model ----------------------------------------------------------------------------


def reading(monkeypatch: pytest.MonkeyPatch, in_remit: float, channel: str | None) -> None:
    """Intake reads every text as the model would one in remit with probability `in_remit`
    (taken for `channel`'s matter when below one half), not sure enough to dispatch it."""
    found = Reading([Suggestion("06042", "暴露垃圾", 0.4)], in_remit, channel, False)
    monkeypatch.setattr(intake_service, "read", lambda *a, **kw: found)


def listed(client: TestClient, headers: dict[str, str], query: str) -> dict[int, dict[str, object]]:
    r = client.get(f"/api/v1/cases?page_size=200&{query}", headers=headers)
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


def test_list_and_detail_carry_the_remit_decision_and_the_suspected_filter(
    session: Session,
    client: TestClient,
    clerk: dict[str, str],
    staff: dict[str, Staff],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reading(monkeypatch, 0.9, None)
    plain = report_case(session, now=NOW, matter_code=None, description="路边有垃圾").case
    reading(monkeypatch, 0.1234, "hrss")
    suspected = report_case(session, now=NOW, matter_code=None, description="老板拖欠工资").case
    overridden = report_case(session, now=NOW, matter_code=None, description="工资和垃圾").case
    referred = report_case(session, now=NOW, matter_code=None, description="社保断缴").case
    monkeypatch.undo()
    verbs.accept_case(
        session, actor=staff["clerk"].actor, now=NOW, case_id=overridden.id, matter_code="06042"
    )
    session.flush()
    for case in (suspected, overridden, referred):
        assert (case.in_remit, case.suspected_channel) == (0.1234, "hrss")
        assert case.status == ("accepted" if case is overridden else "reported")
    r = refer(client, referred, clerk, channel="petition")
    assert r.status_code == 200, r.text

    assert (plain.status, plain.in_remit, plain.suspected_channel) == ("reported", 0.9, None)
    everything = listed(client, clerk, "status=reported,accepted,referred")
    item = everything[suspected.id]
    assert (item["in_remit"], item["suspected_channel"], item["channel_code"]) == (
        0.1234,
        "hrss",
        None,
    )
    assert everything[referred.id]["channel_code"] == "petition"
    assert everything[plain.id]["suspected_channel"] is None

    only = listed(client, clerk, "suspected=true")
    assert suspected.id in only
    assert not {plain.id, overridden.id, referred.id} & set(only)
    assert all(i["suspected_channel"] and i["status"] == "reported" for i in only.values())
    others = listed(client, clerk, "suspected=false")
    assert {plain.id, overridden.id, referred.id} <= set(others)
    assert suspected.id not in others
    both = listed(client, clerk, "suspected=true&status=accepted")
    assert not both

    r = client.get(f"/api/v1/cases/{suspected.id}", headers=clerk)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert (detail["suspected_channel_name_zh"], detail["suspected_channel_name_en"]) == (
        HRSS_ZH,
        HRSS_EN,
    )
    assert detail["channel_name_zh"] is None and detail["channel_name_en"] is None
    assert "refer" in detail["allowed_actions"]
    submit = detail["timeline"][0]
    assert (submit["action"], submit["data"]["suspected_channel"]) == ("submit", "hrss")

    r = client.get(f"/api/v1/cases/{referred.id}", headers=clerk)
    detail = r.json()
    assert detail["suspected_channel_name_zh"] == HRSS_ZH
    assert (detail["channel_code"], detail["channel_name_zh"], detail["channel_name_en"]) == (
        "petition",
        "信访局",
        "Letters and Visits",
    )

    r = client.get(f"/api/v1/cases/{plain.id}", headers=clerk)
    detail = r.json()
    assert detail["suspected_channel"] is None and detail["suspected_channel_name_zh"] is None


def test_a_case_referred_to_a_channel_since_deactivated_still_names_it(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    case = case_in_status(session, S.referred, now=NOW)  # to hrss
    row = session.get(Channel, "hrss")
    assert row is not None
    row.is_active = False
    session.flush()
    catalogue.invalidate()
    r = client.get(f"/api/v1/cases/{case.id}", headers=clerk)
    assert r.status_code == 200, r.text
    assert (r.json()["channel_name_zh"], r.json()["channel_name_en"]) == (HRSS_ZH, HRSS_EN)


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_suspected_filter_that_is_not_a_boolean_is_a_422(
    client: TestClient, clerk: dict[str, str], value: str
) -> None:
    r = client.get(f"/api/v1/cases?suspected={value}", headers=clerk)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "suspected"
