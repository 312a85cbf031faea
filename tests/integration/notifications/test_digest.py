"""The unit managers' daily digest: each manager is told their own unit's overdue cases and
those due within 24 hours (inbox, and WeChat or SMS); the same day twice sends once; nothing
on a day off; a manager of a unit with nothing due is not written to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.workflow import CaseStatus
from urbanops.identity.roles import Role
from urbanops.notifications.digest import send_digests
from urbanops.notifications.models import Notification, OutboundSms, OutboundWechat, StaffDigest

from ...factories import HUMEN, case_in_status, staff_member
from ..conftest import NOW
from ..jobs.test_schedules import next_run
from .contacts import set_contact

MORNING = NOW + timedelta(hours=1)  # Monday 11:00 in Dongguan
QUICK = "09006"  # handled within 4 natural hours


def inbox(session: Session, user_id: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(
                Notification.recipient_kind == "user", Notification.recipient_id == user_id
            )
        )
    )


@pytest.fixture
def managers(session: Session, unit_ids: dict[str, int]) -> dict[str, int]:
    dongcheng = staff_member(
        session, "dg_dc", [Role.unit_manager], unit_id=unit_ids["branch_441900003"]
    ).id
    humen = staff_member(
        session, "dg_hm", [Role.unit_manager], unit_id=unit_ids["branch_441900121"]
    ).id
    idle = staff_member(session, "dg_idle", [Role.unit_manager], unit_id=unit_ids["dept_water"]).id
    set_contact(session, dongcheng, wecom_userid="DcManager")
    set_contact(session, humen, phone="13800002222")
    return {"dongcheng": dongcheng, "humen": humen, "idle": idle}


def test_each_manager_hears_of_their_units_overdue_and_soon_due_cases(
    session: Session, managers: dict[str, int]
) -> None:
    late = case_in_status(
        session, CaseStatus.in_progress, now=NOW - timedelta(days=7), matter_code=QUICK
    )
    soon = case_in_status(session, CaseStatus.dispatched, now=NOW, matter_code=QUICK)
    later = case_in_status(session, CaseStatus.dispatched, now=NOW + timedelta(days=3))
    humen_late = case_in_status(
        session, CaseStatus.dispatched, now=NOW - timedelta(days=7), where=HUMEN, matter_code=QUICK
    )
    assert soon.due_at is not None and MORNING < soon.due_at < MORNING + timedelta(hours=24)
    assert later.due_at is not None and later.due_at > MORNING + timedelta(hours=24)

    assert send_digests(session, MORNING) == 2

    (dc,) = inbox(session, managers["dongcheng"])
    assert dc.title == "每日待办 3月2日" and dc.case_id is None
    assert "东城" in dc.body and f"超期 1 件（{late.number}）" in dc.body
    assert f"24 小时内到期 1 件（{soon.number}）" in dc.body
    assert later.number not in dc.body and humen_late.number not in dc.body
    (hm,) = inbox(session, managers["humen"])
    assert f"超期 1 件（{humen_late.number}）" in hm.body and "24 小时内到期 0 件" in hm.body
    assert inbox(session, managers["idle"]) == []  # nothing due at the water department

    wechat = session.scalars(select(OutboundWechat)).all()
    assert [w.wecom_userid for w in wechat] == ["DcManager"] and late.number in wechat[0].text
    sms = session.scalars(select(OutboundSms).where(OutboundSms.phone == "13800002222")).all()
    assert len(sms) == 1 and humen_late.number in sms[0].text
    digests = session.scalars(select(StaffDigest).order_by(StaffDigest.user_id)).all()
    assert [(d.user_id, d.overdue, d.due_soon, d.notification_id) for d in digests] == [
        (managers["dongcheng"], 1, 1, dc.id),
        (managers["humen"], 1, 0, hm.id),
    ]


def test_the_same_day_twice_sends_once_and_the_next_working_day_again(
    session: Session, managers: dict[str, int]
) -> None:
    case_in_status(session, CaseStatus.dispatched, now=NOW - timedelta(days=7), matter_code=QUICK)
    assert send_digests(session, MORNING) == 1
    assert send_digests(session, MORNING + timedelta(hours=8)) == 0  # 19:00, same day
    assert len(inbox(session, managers["dongcheng"])) == 1
    assert len(session.scalars(select(OutboundWechat)).all()) == 1
    assert send_digests(session, MORNING + timedelta(days=1)) == 1  # Tuesday
    titles = [n.title for n in inbox(session, managers["dongcheng"])]
    assert titles == ["每日待办 3月2日", "每日待办 3月3日"]


def test_no_digest_on_a_day_off(session: Session, managers: dict[str, int]) -> None:
    case_in_status(session, CaseStatus.dispatched, now=NOW - timedelta(days=7), matter_code=QUICK)
    saturday = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
    assert send_digests(session, saturday) == 0
    assert inbox(session, managers["dongcheng"]) == []
    assert send_digests(session, saturday + timedelta(days=2)) == 1  # Monday covers it


def test_a_deactivated_manager_gets_no_digest(session: Session, unit_ids: dict[str, int]) -> None:
    gone = staff_member(
        session, "dg_gone", [Role.unit_manager], unit_id=unit_ids["branch_441900003"], active=False
    )
    case_in_status(session, CaseStatus.dispatched, now=NOW - timedelta(days=7), matter_code=QUICK)
    assert send_digests(session, MORNING) == 0
    assert inbox(session, gone.id) == []


def test_the_digest_job_runs_each_morning_at_0830_beijing_time() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    run = next_run("notifications:send_daily_digests", datetime(2026, 3, 2, 9, 0, tzinfo=shanghai))
    assert run.astimezone(shanghai) == datetime(2026, 3, 3, 8, 30, tzinfo=shanghai)
