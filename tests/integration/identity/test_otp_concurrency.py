"""Thirty simultaneous code requests for one phone: one code, one message, 29 refusals."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from urbanops.app import create_app
from urbanops.core.clock import utcnow
from urbanops.core.errors import ServiceBusy
from urbanops.identity import citizens
from urbanops.identity.models import OtpChallenge
from urbanops.notifications.delivery import SEND_TASK
from urbanops.notifications.models import OutboundSms

PHONE = "13912345678"
REQUESTS = 30


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Requests commit for real (each its own transaction, as in production); cleaned up after."""
    maker = sessionmaker(engine)
    yield maker
    with maker.begin() as s:
        s.execute(
            text(
                "DELETE FROM job_outbox WHERE task = :t AND (args->>'sms_id')::bigint"
                " IN (SELECT id FROM outbound_sms WHERE phone = :p)"
            ),
            {"t": SEND_TASK, "p": PHONE},
        )
        s.execute(delete(OutboundSms).where(OutboundSms.phone == PHONE))
        s.execute(delete(OtpChallenge).where(OtpChallenge.phone == PHONE))


def test_simultaneous_requests_for_one_phone_make_one_code(
    committed: sessionmaker[Session],
) -> None:
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    # the production request session: every request commits or rolls back on its own
    with TestClient(create_app(), raise_server_exceptions=False) as client:

        def ask() -> None:
            start.wait()
            r = client.post("/api/v1/citizen/otp", json={"phone": PHONE})
            with lock:
                answers.append((r.status_code, r.json().get("code", "")))

        threads = [threading.Thread(target=ask) for _ in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    outcomes = Counter(status for status, _ in answers)
    assert outcomes == {200: 1, 429: REQUESTS - 1}, answers
    assert {code for status, code in answers if status == 429} == {"otp_too_soon"}
    with committed() as s:
        assert s.scalar(select(func.count()).where(OtpChallenge.phone == PHONE)) == 1
        sms = s.scalars(select(OutboundSms.id).where(OutboundSms.phone == PHONE)).all()
        jobs = s.scalar(  # the message's job, waiting in the outbox
            text(
                "SELECT count(*) FROM job_outbox WHERE task = :t"
                " AND (args->>'sms_id')::bigint = ANY(:ids)"
            ),
            {"t": SEND_TASK, "ids": list(sms)},
        )
        assert len(sms) == 1 and jobs == 1


def test_a_request_that_would_wait_too_long_is_told_to_come_back(
    committed: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction stuck holding the phone's lock delays other requests a bounded time only."""
    monkeypatch.setattr(citizens, "LOCK_WAIT_SECONDS", 0.5)
    with committed() as holder, committed() as s:
        holder.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"otp:{PHONE}"})
        started = time.monotonic()
        with pytest.raises(ServiceBusy) as busy:
            citizens.request_code(s, phone=PHONE, ip="10.0.0.9", now=utcnow())
        assert busy.value.code == "otp_busy" and time.monotonic() - started < 5
        s.rollback()
        holder.rollback()
        issued = citizens.request_code(s, phone=PHONE, ip="10.0.0.9", now=utcnow())
        assert issued.expires_at > utcnow()
        s.rollback()
