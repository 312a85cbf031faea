"""Every text message leaves through the send_sms job after commit, once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases.models import CaseEvent
from urbanops.core.clock import utcnow
from urbanops.identity.citizens import citizen_actor, request_code
from urbanops.identity.models import Citizen, OtpChallenge
from urbanops.notifications.delivery import SEND_TASK, deliver_sms
from urbanops.notifications.models import OutboundSms
from urbanops.notifications.ports import _console
from urbanops.notifications.service import notify_case_event
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ..conftest import NOW
from .conftest import work_off_jobs

PHONE = "13912340001"


def sent_to(phone: str) -> list[str]:
    return [body for to, body in _console.sent if to == phone]


def sms_jobs(session: Session, sms_ids: list[int]) -> list[tuple[int, str]]:
    rows = session.execute(
        text(
            "SELECT (args->>'sms_id')::bigint, status FROM procrastinate_jobs"
            " WHERE task_name = :t AND (args->>'sms_id')::bigint = ANY(:ids) ORDER BY id"
        ),
        {"t": SEND_TASK, "ids": sms_ids},
    ).all()
    return [(r[0], str(r[1])) for r in rows]


def sms_outbox(session: Session, sms_ids: list[int]) -> list[int]:
    """The messages whose job waits in the outbox (written with the message, same transaction)."""
    return list(
        session.scalars(
            text(
                "SELECT (args->>'sms_id')::bigint FROM job_outbox"
                " WHERE task = :t AND (args->>'sms_id')::bigint = ANY(:ids) ORDER BY id"
            ),
            {"t": SEND_TASK, "ids": sms_ids},
        )
    )


def test_a_code_is_sent_only_when_its_job_runs_and_only_once(session: Session) -> None:
    before = len(sent_to(PHONE))
    request_code(session, phone=PHONE, ip="10.0.0.1", now=NOW)
    session.flush()
    assert len(sent_to(PHONE)) == before  # nothing leaves inside the request
    row = session.scalars(select(OutboundSms).where(OutboundSms.phone == PHONE)).one()
    assert row.status == "pending" and row.purpose == "otp"
    assert sms_outbox(session, [row.id]) == [row.id]  # its job, in the same transaction

    assert deliver_sms(session, row.id, NOW + timedelta(seconds=2)) is True
    assert deliver_sms(session, row.id, NOW + timedelta(seconds=3)) is False  # a retried job
    messages = sent_to(PHONE)[before:]
    assert len(messages) == 1 and re.search(r"验证码是 \d{6}", messages[0])
    assert row.status == "sent" and row.sent_at == NOW + timedelta(seconds=2)
    assert row.text == ""  # the code does not stay in the table


def test_a_code_whose_time_has_passed_is_not_sent(session: Session) -> None:
    before = len(sent_to(PHONE))
    issued = request_code(session, phone=PHONE, ip="10.0.0.1", now=NOW)
    row = session.scalars(select(OutboundSms).where(OutboundSms.phone == PHONE)).one()
    assert deliver_sms(session, row.id, issued.expires_at) is False
    assert row.status == "expired" and row.text == "" and len(sent_to(PHONE)) == before


def test_a_case_update_for_the_reporter_waits_for_its_own_job(session: Session) -> None:
    phone = "13912340003"
    citizen = Citizen(phone=phone, nickname="街坊", created_at=NOW)
    session.add(citizen)
    session.flush()
    case = submit_report(
        session,
        actor=citizen_actor(citizen),
        now=NOW,
        data=ReportIn(lat=22.8191, lon=113.6968, matter_code="06042"),
        source="citizen",
        citizen_id=citizen.id,
    ).case
    session.flush()
    dispatch = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "dispatch")
    ).one()
    before = len(sent_to(phone))
    assert notify_case_event(session, dispatch.id, now=NOW) > 0
    assert notify_case_event(session, dispatch.id, now=NOW) == 0  # the job run twice
    session.flush()
    queued = session.scalars(select(OutboundSms).where(OutboundSms.phone == phone)).all()
    assert [(q.purpose, q.status) for q in queued] == [("case", "pending")]
    assert "派遣" in queued[0].text and len(sent_to(phone)) == before
    assert sms_outbox(session, [queued[0].id]) == [queued[0].id]
    assert deliver_sms(session, queued[0].id, NOW) and len(sent_to(phone)) == before + 1


@pytest.fixture
def clean_phone(committed: sessionmaker[Session]) -> Iterator[str]:
    phone = "13912340002"
    yield phone
    with committed.begin() as s:
        ids = select(OutboundSms.id).where(OutboundSms.phone == phone)
        s.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE task_name = :t"
                " AND (args->>'sms_id')::bigint IN (SELECT id FROM outbound_sms WHERE phone = :p)"
            ),
            {"t": SEND_TASK, "p": phone},
        )
        s.execute(
            text(
                "DELETE FROM job_outbox WHERE task = :t"
                " AND (args->>'sms_id')::bigint IN (SELECT id FROM outbound_sms WHERE phone = :p)"
            ),
            {"t": SEND_TASK, "p": phone},
        )
        s.execute(delete(OutboundSms).where(OutboundSms.id.in_(ids)))
        s.execute(delete(OtpChallenge).where(OtpChallenge.phone == phone))


def test_a_rolled_back_request_sends_nothing_and_a_committed_one_sends_once(
    committed: sessionmaker[Session], clean_phone: str
) -> None:
    phone = clean_phone
    before = len(sent_to(phone))
    with committed() as s:  # the request fails after writing its code: rolled back
        request_code(s, phone=phone, ip="10.0.0.2", now=utcnow())
        s.flush()
        s.rollback()
    work_off_jobs()
    assert len(sent_to(phone)) == before
    with committed() as s:
        assert s.scalar(select(func.count()).where(OutboundSms.phone == phone)) == 0

    with committed.begin() as s:
        request_code(s, phone=phone, ip="10.0.0.2", now=utcnow())
    assert len(sent_to(phone)) == before  # committed, but no worker has run yet
    work_off_jobs()
    assert len(sent_to(phone)) == before + 1
    with committed.begin() as s:  # the job runs again (a retry after a lost acknowledgement)
        sms_id = s.scalars(select(OutboundSms.id).where(OutboundSms.phone == phone)).one()
        s.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'todo' WHERE task_name = :t"
                " AND (args->>'sms_id')::bigint = :i"
            ),
            {"t": SEND_TASK, "i": sms_id},
        )
    work_off_jobs()
    with committed() as s:
        assert sms_jobs(s, [sms_id]) == [(sms_id, "succeeded")]
    assert len(sent_to(phone)) == before + 1
