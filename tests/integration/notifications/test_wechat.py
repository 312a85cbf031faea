"""Supervision reaches the leader in charge by enterprise WeChat through the real queue: the
escalation's notification job writes an `outbound_wechat` row and its job, and the worker's
`send_wechat` hands it to the WeChat port (the logging adapter here; the real `WecomApi` is
configured by settings and never called in tests), then blanks the text."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.core.clock import utcnow
from urbanops.identity.models import User
from urbanops.identity.roles import SYSTEM, Role
from urbanops.notifications import ports
from urbanops.notifications.models import OutboundWechat, StaffContact
from urbanops.notifications.service import set_staff_contact

from ...factories import HUMEN, committed_case, staff_member
from ..jobs.conftest import work_off_jobs


def test_an_escalation_is_sent_to_the_leaders_wechat_after_commit(
    committed: sessionmaker[Session],
) -> None:
    adapter = ports.wechat_sender()
    assert isinstance(adapter, ports.ConsoleWechat)  # no corp id in tests
    wecom = f"Leader{uuid.uuid4().hex[:6]}"
    now = utcnow()
    with committed.begin() as s:
        leader = staff_member(s, f"wx_{wecom}", [Role.leader]).id
        set_staff_contact(s, user_id=leader, phone=None, wecom_userid=wecom, now=now)
    try:
        with committed_case(committed, CaseStatus.dispatched, now=now, where=HUMEN) as case_id:
            with committed.begin() as s:
                verbs.supervise(
                    s,
                    actor=SYSTEM,
                    now=now,
                    case_id=case_id,
                    action=CaseAction.escalate,
                    note="请加快处置",
                )
                number = s.get(Case, case_id).number  # type: ignore[union-attr]
            with committed() as s:  # nothing is sent before the worker runs
                assert not s.scalars(
                    select(OutboundWechat).where(OutboundWechat.wecom_userid == wecom)
                ).all()
            work_off_jobs()
            # (jobs other tests left queued may tell this city leader of their cases too)
            sent = [text for to, text in adapter.sent if to == wecom and number in text]
            assert len(sent) == 1 and "提级" in sent[0] and "请加快处置" in sent[0]
            with committed() as s:
                rows = s.scalars(
                    select(OutboundWechat).where(OutboundWechat.wecom_userid == wecom)
                ).all()
                assert rows and all(r.status == "sent" and r.sent_at and r.text == "" for r in rows)
    finally:
        with committed.begin() as s:
            s.execute(delete(OutboundWechat).where(OutboundWechat.wecom_userid == wecom))
            s.execute(delete(StaffContact).where(StaffContact.user_id == leader))
            s.execute(delete(User).where(User.id == leader))
