"""Earning as a projection of the case timeline: the first reporter's pending points when the
case is registered, released when verified or after the release delay without a dispute,
clawed back (pending only) when voided, referred or merged; nothing for duplicates, reports
referred out of remit, staff or API sources (a suspected out-of-remit case a clerk registers
earns); the daily caps per citizen, device and address;
assists once per invitee; the cursor that reads late commits."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests import factories
from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.core.outbox import JobOutbox
from urbanops.core.settings import get_settings
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM
from urbanops.reports.service import record_origin
from urbanops.rewards import earning, ledger, profiles
from urbanops.rewards.earning_models import CaseReward, ProjectedEvent
from urbanops.rewards.models import PointsEntry

from ..jobs.conftest import work_off_jobs

S = CaseStatus
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Dongguan
PER_CASE = get_settings().rewards.points_per_case
# spots in 东城 a few hundred metres apart: reports there are not duplicates of one another
SPOTS = [(23.0159 + 0.004 * i, 113.7796 + 0.004 * (i % 3)) for i in range(12)]


def project(session: Session) -> None:
    """Run the projection until it has read everything (as the job does)."""
    while earning.project(session, now=NOW) == earning.BATCH:
        pass


def person(session: Session, phone: str) -> Citizen:
    return factories.citizen(session, phone, now=NOW)


def reported(session: Session, who: Citizen | None, spot: int = 0) -> Case:
    """A report from `who`'s app (or an API client), dispatched at once: registered."""
    result = factories.report_case(session, now=NOW, where=SPOTS[spot], reporter=who)
    assert result.case.status == S.dispatched
    return result.case


def balance(session: Session, who: Citizen) -> ledger.Balance:
    return ledger.balance_of(session, who.id)


def close(session: Session, case: Case) -> None:
    kw: dict[str, Any] = {"actor": SYSTEM, "now": NOW, "case_id": case.id}
    verbs.start_case(session, **kw)
    verbs.submit_result(session, note="已清理", **kw)
    verbs.verify_case(session, **kw)


def outcomes(session: Session, case: Case) -> list[tuple[str, str]]:
    rows = session.execute(
        select(ProjectedEvent.action, ProjectedEvent.outcome)
        .where(ProjectedEvent.case_id == case.id)
        .order_by(ProjectedEvent.event_id)
    )
    return [(a, o) for a, o in rows]


def test_a_registered_case_earns_pending_points_once_and_verification_releases_them(
    session: Session,
) -> None:
    who = person(session, "13900770001")
    case = reported(session, who)
    queued = session.scalars(
        select(JobOutbox.task).where(JobOutbox.task == "rewards:project_timeline")
    ).all()
    assert queued, "intake's registration queues the projection"
    project(session)
    project(session)  # read again: nothing twice
    assert balance(session, who) == ledger.Balance(pending=PER_CASE, available=0)
    assert outcomes(session, case) == [("register", "earned")]
    close(session, case)
    project(session)
    assert balance(session, who) == ledger.Balance(pending=0, available=PER_CASE)
    assert [e.kind for e in ledger.entries_for(session, "case", case.id)] == ["earn", "release"]
    assert ledger.inconsistent_citizens(session, [who.id]) == []


@pytest.mark.parametrize("how", ["void", "refer"])
def test_a_voided_or_referred_case_takes_back_its_pending_points(
    session: Session, how: str
) -> None:
    who = person(session, "13900770002" if how == "void" else "13900770003")
    case = factories.case_in_status(session, S.registered, now=NOW, reporter=who)
    assert case.suspected_channel is None
    project(session)
    assert balance(session, who).pending == PER_CASE
    if how == "void":
        verbs.void_case(session, actor=SYSTEM, now=NOW, case_id=case.id, reason="虚假上报")
    else:
        verbs.dispatch_case(session, actor=SYSTEM, now=NOW, case_id=case.id)
        verbs.return_case(session, actor=SYSTEM, now=NOW, case_id=case.id, reason="非城管")
        verbs.refer_case(session, actor=SYSTEM, now=NOW, case_id=case.id, channel="hrss")
    project(session)
    assert balance(session, who) == ledger.Balance(pending=0, available=0)
    kinds = [(e.kind, e.pending_delta) for e in ledger.entries_for(session, "case", case.id)]
    assert kinds == [("earn", PER_CASE), ("clawback", -PER_CASE)]
    assert ledger.inconsistent_citizens(session, [who.id]) == []


def test_available_points_are_never_taken_back(session: Session) -> None:
    who = person(session, "13900770004")
    case = reported(session, who)
    project(session)
    close(session, case)
    project(session)
    verbs.reopen_case(session, actor=SYSTEM, now=NOW, case_id=case.id, reason="问题仍在")
    project(session)
    assert balance(session, who) == ledger.Balance(pending=0, available=PER_CASE)
    assert session.get(CaseReward, case.id).state == "released"  # type: ignore[union-attr]


def test_duplicates_staff_api_and_referred_out_of_remit_reports_earn_nothing(
    session: Session,
) -> None:
    first, second = person(session, "13900770005"), person(session, "13900770006")
    case = reported(session, first, spot=1)
    joined = factories.report_case(
        session, now=NOW, where=SPOTS[1], reporter=second, check_duplicates=True
    )
    assert joined.outcome == "joined" and joined.case.id == case.id
    api_case = reported(session, None, spot=2)
    # suspected not to be urban management: one a clerk registers (ours after all), one referred
    flagged = factories.case_in_status(session, S.reported, now=NOW, reporter=first)
    flagged.suspected_channel = "hrss"
    referred = factories.case_in_status(session, S.reported, now=NOW, reporter=second)
    referred.suspected_channel = "hrss"
    session.flush()
    verbs.accept_case(session, actor=SYSTEM, now=NOW, case_id=flagged.id, matter_code="06042")
    verbs.register_case(session, actor=SYSTEM, now=NOW, case_id=flagged.id)
    verbs.refer_case(session, actor=SYSTEM, now=NOW, case_id=referred.id, channel="hrss")
    # merged into another case as its duplicate: never registered, nothing to earn
    merged = factories.case_in_status(session, S.merged, now=NOW, reporter=second)
    project(session)
    assert balance(session, first).pending == 2 * PER_CASE
    assert balance(session, second) == ledger.Balance(0, 0)
    assert outcomes(session, flagged) == [("register", "earned")]
    assert outcomes(session, api_case) == []  # not a citizen's: not read at all
    assert outcomes(session, merged) == [("merge", "nothing_pending")]


def test_the_daily_cap_counts_by_beijing_day(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().rewards, "daily_cap", 2 * PER_CASE + PER_CASE // 2)
    who = person(session, "13900770007")
    cases = [reported(session, who, spot=i) for i in range(4)]
    project(session)
    assert balance(session, who).pending == 2 * PER_CASE + PER_CASE // 2
    got = [session.get(CaseReward, c.id) for c in cases]
    assert [g.points if g else 0 for g in got] == [PER_CASE, PER_CASE, PER_CASE // 2, 0]
    assert outcomes(session, cases[2]) == [("register", "earned_capped")]
    assert outcomes(session, cases[3]) == [("register", "capped")]
    # 00:30 the next day in Beijing (16:30 UTC): a new day, a new cap
    tomorrow = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    later = factories.report_case(session, now=tomorrow, where=SPOTS[5], reporter=who).case
    project(session)
    assert session.get(CaseReward, later.id).points == PER_CASE  # type: ignore[union-attr]


def test_device_and_address_caps_hold_across_accounts(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().rewards, "device_daily_cap", PER_CASE)
    monkeypatch.setattr(get_settings().rewards, "ip_daily_cap", 2 * PER_CASE)
    people = [person(session, f"1390077001{i}") for i in range(4)]

    def from_phone(who: Citizen, spot: int, device: str, ip: str) -> Case:
        result = factories.report_case(session, now=NOW, where=SPOTS[spot], reporter=who)
        record_origin(session, result.report, device_id=device, ip=ip, now=NOW)
        return result.case

    same_device = [from_phone(people[i], i, "phone-A", f"10.9.0.{i}") for i in range(2)]
    same_ip = [from_phone(people[i + 2], i + 2, f"phone-{i}", "10.9.9.9") for i in range(2)]
    third_on_ip = from_phone(people[0], 4, "phone-Z", "10.9.9.9")
    project(session)
    earned = {
        c.id: (r.points if (r := session.get(CaseReward, c.id)) else 0)
        for c in [*same_device, *same_ip, third_on_ip]
    }
    assert [earned[c.id] for c in same_device] == [PER_CASE, 0]
    assert [earned[c.id] for c in same_ip] == [PER_CASE, PER_CASE]
    assert earned[third_on_ip.id] == 0
    stored = session.get(CaseReward, same_device[0].id)
    assert stored is not None and stored.device_hash and "phone-A" not in stored.device_hash


def test_points_are_released_after_the_delay_unless_the_case_is_disputed(
    session: Session,
) -> None:
    who = person(session, "13900770021")
    quiet, returned = (reported(session, who, spot=i) for i in range(2))
    verbs.return_case(session, actor=SYSTEM, now=NOW, case_id=returned.id, reason="不属本单位")
    days = get_settings().rewards.release_after_days
    young = factories.report_case(
        session, now=NOW + timedelta(days=days), where=SPOTS[3], reporter=who
    ).case
    project(session)
    while earning.release_due(session, now=NOW + timedelta(days=days, hours=1)) == earning.BATCH:
        pass
    states = {}
    for c in (quiet, returned, young):
        reward = session.get(CaseReward, c.id)
        assert reward is not None
        states[c.id] = reward.state
    assert states == {quiet.id: "released", returned.id: "pending", young.id: "pending"}
    assert balance(session, who) == ledger.Balance(pending=2 * PER_CASE, available=PER_CASE)
    assert ledger.inconsistent_citizens(session, [who.id]) == []


def test_an_assist_is_earned_once_when_the_invitee_first_has_a_valid_case(
    session: Session,
) -> None:
    inviter, invitee = person(session, "13900770031"), person(session, "13900770032")
    code = profiles.profile(session, inviter.id, NOW).share_code
    assert profiles.record_invite(session, citizen_id=invitee.id, ref=code.lower(), now=NOW)
    other = person(session, "13900770033")
    assert not profiles.record_invite(session, citizen_id=invitee.id, ref=code, now=NOW)
    assert not profiles.record_invite(session, citizen_id=inviter.id, ref=code, now=NOW)
    assert not profiles.record_invite(session, citizen_id=other.id, ref="NOPE", now=NOW)
    first, second = reported(session, invitee, spot=6), reported(session, invitee, spot=7)
    project(session)
    assert balance(session, inviter) == ledger.Balance(0, 0)  # not yet valid
    close(session, first)
    close(session, second)
    project(session)
    assists = session.scalars(
        select(PointsEntry).where(
            PointsEntry.citizen_id == inviter.id, PointsEntry.kind == "assist"
        )
    ).all()
    assert [(a.available_delta, a.ref_id) for a in assists] == [
        (get_settings().rewards.assist_points, str(invitee.id))
    ]
    assert balance(session, invitee).available == 2 * PER_CASE


def test_a_frozen_citizen_earns_nothing_and_their_pending_points_wait(session: Session) -> None:
    who = person(session, "13900770041")
    earlier = reported(session, who, spot=7)
    project(session)
    profiles.profile(session, who.id, NOW).frozen_at = NOW
    case = reported(session, who, spot=8)
    project(session)
    assert balance(session, who) == ledger.Balance(PER_CASE, 0)
    assert outcomes(session, case) == [("register", "frozen")]
    later = NOW + timedelta(days=get_settings().rewards.release_after_days + 1)
    earning.release_due(session, now=later)
    # a second run finds nothing: the frozen citizen's case is not picked again and again
    assert earning.release_due(session, now=later) == 0
    reward = session.get(CaseReward, earlier.id)
    assert reward is not None and reward.state == "pending"


def test_a_reset_expires_available_points_once_per_period(session: Session) -> None:
    who = person(session, "13900770051")
    case = reported(session, who, spot=9)
    project(session)
    close(session, case)
    second = reported(session, who, spot=10)  # still pending: kept through the reset
    project(session)
    assert second.id
    while earning.expire_available(session, period="T2026Q1", now=NOW) == earning.BATCH:
        pass
    earning.expire_available(session, period="T2026Q1", now=NOW)
    assert balance(session, who) == ledger.Balance(pending=PER_CASE, available=0)
    expired = ledger.entry_for(session, f"expire:T2026Q1:{who.id}")
    assert expired is not None and expired.available_delta == -PER_CASE
    assert ledger.inconsistent_citizens(session, [who.id]) == []


# --- the cursor, with rows committed in another order than their ids ---------------------------


def test_an_event_committed_after_a_later_one_is_still_projected(
    committed: sessionmaker[Session],
) -> None:
    """Transaction A registers case 1 (lower event ids) but commits after B registers case 2 and
    a projection has read B's rows: the cursor has not moved past A's ids, so A's case earns."""
    tail = f"{secrets.randbelow(10**4):04d}"
    phones = (f"1390078{tail}", f"1390079{tail}")
    with committed.begin() as s:
        people = [person(s, p) for p in phones]
        ids = [p.id for p in people]
    late, early = committed(), committed()
    case_ids: list[int] = []
    try:
        slow = late.get(Citizen, ids[0])
        fast = early.get(Citizen, ids[1])
        assert slow is not None and fast is not None
        case_a = reported(late, slow, spot=11)  # ids taken, not committed
        late.flush()
        case_b = reported(early, fast, spot=0)
        early.commit()
        case_ids += [case_a.id, case_b.id]
        with committed.begin() as s:
            project(s)
            assert s.get(CaseReward, case_b.id) is not None
            assert s.get(CaseReward, case_a.id) is None
        late.commit()
        with committed.begin() as s:
            project(s)
            reward = s.get(CaseReward, case_a.id)
            assert reward is not None and reward.points == PER_CASE
            events = s.scalars(select(CaseEvent.id).where(CaseEvent.case_id == case_a.id)).all()
            done = s.scalars(
                select(ProjectedEvent.event_id).where(ProjectedEvent.case_id == case_a.id)
            ).all()
            assert set(done) <= set(events) and done
    finally:
        late.close()
        early.close()
        with committed.begin() as s:
            _forget(s, case_ids)


def test_the_queued_projection_runs_on_the_real_queue(committed: sessionmaker[Session]) -> None:
    """A citizen's case committed: the outbox row its registration wrote becomes a job, the
    worker runs it, the points are there."""
    tail = f"{secrets.randbelow(10**4):04d}"
    with committed.begin() as s:
        who = person(s, f"1390076{tail}")
        case = reported(s, who, spot=4)
    try:
        work_off_jobs()
        with committed.begin() as s:
            reward = s.get(CaseReward, case.id)
            assert reward is not None and reward.state == "pending"
            assert ledger.balance_of(s, who.id).pending == PER_CASE
    finally:
        with committed.begin() as s:
            _forget(s, [case.id])


def _forget(s: Session, case_ids: list[int]) -> None:
    """Retire the committed test's cases (their pending points are clawed back); their rewards
    rows stay, consistent, as every ledger's do (the entries are append-only)."""
    factories.discard_case(s, *case_ids, now=NOW)
    project(s)  # their pending points taken back: none left for other tests' nightly release
    s.execute(delete(JobOutbox).where(JobOutbox.task == "rewards:project_timeline"))
