"""The citizen app's side of earning: the sign-in takes the share code of the link that
brought a new citizen, and a report keeps its origin (the device id's digest, the address)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.identity.models import Citizen
from urbanops.notifications.delivery import deliver_sms
from urbanops.notifications.models import OutboundSms
from urbanops.notifications.ports import _console
from urbanops.reports.models import Report, ReportOrigin
from urbanops.rewards import profiles

from ..conftest import NOW


def sign_in(client: TestClient, session: Session, phone: str, **extra: str) -> TestClient:
    assert client.post("/api/v1/citizen/otp", json={"phone": phone}).status_code == 200
    pending = session.scalars(
        select(OutboundSms.id).where(OutboundSms.phone == phone, OutboundSms.status == "pending")
    ).all()
    assert [deliver_sms(session, sms_id, NOW) for sms_id in pending] == [True]
    sms = [text for to, text in _console.sent if to == phone][-1]
    code = re.search(r"\d{6}", sms).group(0)  # type: ignore[union-attr]
    r = client.post("/api/v1/citizen/session", json={"phone": phone, "code": code, **extra})
    assert r.status_code == 200, r.text
    return client


def test_a_new_citizen_signing_in_through_a_link_remembers_the_inviter(
    client: TestClient, session: Session
) -> None:
    inviter = factories.citizen(session, "13900771001", now=NOW)
    known = factories.citizen(session, "13900771003", now=NOW)
    code = profiles.profile(session, inviter.id, NOW).share_code
    session.commit()
    sign_in(client, session, "13900771002", ref=code)
    client.cookies.clear()
    sign_in(client, session, "13900771003", ref=code)  # had an account: brings no one
    client.cookies.clear()
    sign_in(client, session, "13900771004", ref="ZZZZ")  # a stale code does not stop a sign-in
    new = session.scalars(select(Citizen).where(Citizen.phone == "13900771002")).one()
    assert profiles.profile(session, new.id, NOW).invited_by_id == inviter.id
    assert profiles.find_profile(session, known.id) is None
    r = client.post(
        "/api/v1/citizen/session", json={"phone": "13900771005", "code": "1", "ref": "X" * 17}
    )
    assert r.status_code == 422


def test_a_report_keeps_its_device_digest_and_address(client: TestClient, session: Session) -> None:
    sign_in(client, session, "13900771011")
    body = {"lat": 22.8191, "lon": 113.6968, "matter_code": "06042", "idempotency_key": "orig-0001"}
    r = client.post("/api/v1/citizen/reports", json=body, headers={"X-Device-Id": "dev-123"})
    assert r.status_code == 201, r.text
    report_id = session.scalars(
        select(Report.id).where(Report.case_id == r.json()["case_id"])
    ).first()
    origin = session.get(ReportOrigin, report_id)
    assert origin is not None and origin.ip
    assert origin.device_hash and "dev-123" not in origin.device_hash
    bad = client.post(
        "/api/v1/citizen/reports",
        json={**body, "idempotency_key": "orig-0002"},
        headers={"X-Device-Id": "a" * 101},
    )
    assert bad.status_code == 422
