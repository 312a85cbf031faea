"""Earning: points as a projection of the case timeline, never called from the case verbs.

`project` reads the timeline rows that matter to rewards (registered, verified, voided,
referred, merged) after a stored cursor and turns them into ledger entries, each posted once
by its key (`earn:case:<id>`, `release:case:<id>`, `clawback:case:<id>`, `assist:citizen:<id>`).
The verbs that write those rows queue `rewards:project_timeline` through the outbox; a periodic
catch-up runs the same. Every run holds the cursor's row lock, so runs (and the nightly release)
follow one another: the caps and the "pending, not yet released" checks see every earlier run.

The cursor is safe against rows committed out of id order: ids are handed out before their
transactions commit, so an event with a lower id may become visible after a higher one was
read. The cursor (`safe_id`) moves only to the highest id that existed a settle window ago
(`rewards.projection_settle_seconds`, by the database's clock); the events above it that were
projected are recorded (`rewards_projected_event`) and not read again.

Rules:
- the first reporter of a case earns `points_per_case` as pending when it is registered (立案,
  by a clerk or by intake's automatic dispatch), if the case came from the citizen app and the
  citizen is not frozen (a case the model suspected was not urban management is registered only
  by a clerk who decided it is; one that is not is referred, 转办, and never registered); within
  the caps per citizen,
  per device and per client address for the Beijing day of the registration;
- the points are released to available when the case is verified (核查通过), or by the nightly
  `release_due` once `release_after_days` have passed without a dispute (the case returned by
  its unit, 退回, waits for the decision);
- voided, referred out of remit or merged, a case's pending points are clawed back; points
  already available are never taken back;
- when a citizen's first case is released, whoever invited them earns `assist_points` (once per
  invitee).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.core.settings import get_settings
from urbanops.reports.models import Report, ReportOrigin
from urbanops.rewards import ledger, profiles
from urbanops.rewards.earning_models import (
    CaseReward,
    ProjectedEvent,
    ProjectionCursor,
    RewardsProfile,
)
from urbanops.rewards.models import PointsBalance, PointsEntry

A = CaseAction
CURSOR = "timeline"
BATCH = 500
CLAWBACK_ACTIONS = {A.void: "作废", A.refer: "转办", A.merge: "并案"}
PROJECTED_ACTIONS = (A.register, A.verify, *CLAWBACK_ACTIONS)
# a pending case in these statuses is disputed: the nightly release leaves it alone
DISPUTED = (str(CaseStatus.returned),)


@dataclass(frozen=True)
class Seen:
    id: int
    case_id: int
    action: str
    at: datetime


def lock_cursor(session: Session) -> ProjectionCursor:
    """The projection's cursor, locked until the transaction ends: the one lock every writer
    of case points holds (projection runs, the nightly release, resets)."""
    return session.execute(
        select(ProjectionCursor)
        .where(ProjectionCursor.name == CURSOR)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def project(session: Session, *, now: datetime, batch: int = BATCH) -> int:
    """Project up to `batch` unread timeline rows (oldest first); returns how many were read.
    A full batch means more may wait: the caller runs again in a new transaction."""
    cursor = lock_cursor(session)
    e, c = CaseEvent, Case
    done = select(ProjectedEvent.event_id).where(ProjectedEvent.event_id == e.id).exists()
    rows = session.execute(
        select(e.id, e.case_id, e.action, e.at)
        .join(c, c.id == e.case_id)
        .where(
            e.id > cursor.safe_id,
            e.action.in_([str(a) for a in PROJECTED_ACTIONS]),
            c.reporter_citizen_id.is_not(None),
            ~done,
        )
        .order_by(e.id)
        .limit(batch)
    ).all()
    for row in rows:
        seen = Seen(row.id, row.case_id, row.action, row.at)
        outcome = project_event(session, seen)
        session.add(
            ProjectedEvent(
                event_id=seen.id,
                case_id=seen.case_id,
                action=seen.action,
                outcome=outcome,
                projected_at=now,
            )
        )
    if len(rows) < batch:
        _advance(session, cursor)
    session.flush()
    return len(rows)


def _advance(session: Session, cursor: ProjectionCursor) -> None:
    """Everything visible has been read: the id seen a settle window ago becomes safe, and the
    highest id now is seen (both by the database's clock)."""
    settle = timedelta(seconds=get_settings().rewards.projection_settle_seconds)
    db_now = session.scalar(select(func.clock_timestamp()))
    assert db_now is not None
    if cursor.seen_at is not None and cursor.seen_at > db_now - settle:
        return
    cursor.safe_id = max(cursor.safe_id, cursor.seen_id)
    cursor.seen_id = max(cursor.seen_id, session.scalar(select(func.max(CaseEvent.id))) or 0)
    cursor.seen_at = db_now


def project_event(session: Session, seen: Seen) -> str:
    """What one timeline row earns, releases or takes back; returns the outcome's name."""
    case = session.get(Case, seen.case_id)
    assert case is not None
    action = CaseAction(seen.action)
    if action is A.register:
        return _earn(session, case, seen.at)
    if action is A.verify:
        return release(session, case, seen.at, reason=f"案件 {case.number} 核查通过，积分到账")
    return _clawback(session, case, seen.at, CLAWBACK_ACTIONS[action])


def beijing_day(at: datetime) -> date:
    return at.astimezone(ZoneInfo(get_settings().timezone)).date()


def _used(session: Session, column: object, value: object, day: date) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CaseReward.points), 0)).where(
                column == value,  # type: ignore[arg-type]
                CaseReward.day == day,
            )
        )
        or 0
    )


def _origin(session: Session, case_id: int) -> ReportOrigin | None:
    """Where the report that opened the case came from (None: not from the app)."""
    first = session.scalar(
        select(Report.id)
        .where(Report.case_id == case_id, Report.is_supporter.is_(False))
        .order_by(Report.id)
        .limit(1)
    )
    return session.get(ReportOrigin, first) if first is not None else None


def room_for(session: Session, citizen_id: int, origin: ReportOrigin | None, day: date) -> int:
    """How many points a new case may still earn on `day`: the least room left under the
    citizen's, the device's and the address's daily caps (never below zero)."""
    s = get_settings().rewards
    room = min(
        s.points_per_case, s.daily_cap - _used(session, CaseReward.citizen_id, citizen_id, day)
    )
    if origin is not None and origin.device_hash:
        used = _used(session, CaseReward.device_hash, origin.device_hash, day)
        room = min(room, s.device_daily_cap - used)
    if origin is not None and origin.ip:
        room = min(room, s.ip_daily_cap - _used(session, CaseReward.ip, origin.ip, day))
    return max(0, room)


def _earn(session: Session, case: Case, at: datetime) -> str:
    s = get_settings().rewards
    citizen_id = case.reporter_citizen_id
    if not s.enabled:
        return "disabled"
    if case.source != "citizen" or citizen_id is None:
        return "not_citizen"
    if case.merged_into_id is not None:
        return "merged"
    if session.get(CaseReward, case.id) is not None:
        return "already_earned"
    if profiles.is_frozen(session, citizen_id):
        return "frozen"
    origin = _origin(session, case.id)
    day = beijing_day(at)
    points = room_for(session, citizen_id, origin, day)
    if points <= 0:
        return "capped"
    session.add(
        CaseReward(
            case_id=case.id,
            citizen_id=citizen_id,
            points=points,
            state="pending",
            day=day,
            device_hash=origin.device_hash if origin else None,
            ip=origin.ip if origin else None,
            earned_at=at,
        )
    )
    ledger.post(
        session,
        citizen_id=citizen_id,
        kind="earn",
        key=f"earn:case:{case.id}",
        now=at,
        reason=f"有效上报：案件 {case.number} 已立案（待核查后到账）",
        ref_type="case",
        ref_id=case.id,
        pending=points,
    )
    return "earned" if points == s.points_per_case else "earned_capped"


def release(session: Session, case: Case, at: datetime, *, reason: str) -> str:
    """Move a case's pending points to available, then the inviter's assist when this is the
    citizen's first released case."""
    reward = session.get(CaseReward, case.id, populate_existing=True)
    if reward is None:
        return "nothing_pending"
    if reward.state != "pending":
        return f"already_{reward.state}"
    if profiles.is_frozen(session, reward.citizen_id):
        return "frozen"
    ledger.post(
        session,
        citizen_id=reward.citizen_id,
        kind="release",
        key=f"release:case:{case.id}",
        now=at,
        reason=reason,
        ref_type="case",
        ref_id=case.id,
        pending=-reward.points,
        available=reward.points,
    )
    reward.state, reward.settled_at = "released", at
    _assist(session, reward.citizen_id, at)
    return "released"


def _assist(session: Session, invitee_id: int, at: datetime) -> None:
    s = get_settings().rewards
    mine = profiles.find_profile(session, invitee_id)
    if mine is None or mine.invited_by_id is None or not s.enabled or s.assist_points <= 0:
        return
    if profiles.is_frozen(session, mine.invited_by_id):
        return
    ledger.post(
        session,
        citizen_id=mine.invited_by_id,
        kind="assist",
        key=f"assist:citizen:{invitee_id}",
        now=at,
        reason="助攻：您邀请的市民首次有效上报",
        ref_type="assist",
        ref_id=invitee_id,
        available=s.assist_points,
    )


def _clawback(session: Session, case: Case, at: datetime, why: str) -> str:
    reward = session.get(CaseReward, case.id, populate_existing=True)
    if reward is None:
        return "nothing_pending"
    if reward.state != "pending":  # released points are the citizen's: never taken back
        return f"kept_{reward.state}"
    ledger.post(
        session,
        citizen_id=reward.citizen_id,
        kind="clawback",
        key=f"clawback:case:{case.id}",
        now=at,
        reason=f"案件 {case.number} 已{why}，待发积分收回",
        ref_type="case",
        ref_id=case.id,
        pending=-reward.points,
    )
    reward.state, reward.settled_at = "clawed_back", at
    return "clawed_back"


def release_due(session: Session, *, now: datetime, limit: int = BATCH) -> int:
    """Release the pending points of cases registered `release_after_days` ago or more that
    are not disputed; returns how many cases were looked at (a full `limit`: run again)."""
    lock_cursor(session)
    cutoff = now - timedelta(days=get_settings().rewards.release_after_days)
    frozen = (
        select(RewardsProfile.citizen_id)
        .where(
            RewardsProfile.citizen_id == CaseReward.citizen_id,
            RewardsProfile.frozen_at.is_not(None),
        )
        .exists()
    )
    due = session.scalars(
        select(CaseReward.case_id)
        .join(Case, Case.id == CaseReward.case_id)
        .where(
            CaseReward.state == "pending",
            CaseReward.earned_at <= cutoff,
            Case.status.not_in(DISPUTED),
            ~frozen,  # a frozen citizen's points wait (and would be picked again and again)
        )
        .order_by(CaseReward.earned_at, CaseReward.case_id)
        .limit(limit)
    ).all()
    days = get_settings().rewards.release_after_days
    for case_id in due:
        case = session.get(Case, case_id)
        assert case is not None
        release(session, case, now, reason=f"案件 {case.number} 立案满 {days} 天无异议，积分到账")
    session.flush()
    return len(due)


def quarter_of(day: date) -> str:
    """The quarter a day is in, as a reset's period: 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def expire_available(session: Session, *, period: str, now: datetime, limit: int = BATCH) -> int:
    """A campaign reset (清零): everyone's available points expire, one `expire` entry per
    citizen and period (`expire:<period>:<citizen>`, so a reset run twice expires once);
    pending points stay. Returns how many citizens were reset (a full `limit`: run again)."""
    lock_cursor(session)
    done = select(1).where(
        PointsEntry.key == func.concat(f"expire:{period}:", PointsBalance.citizen_id)
    )
    ids = session.scalars(
        select(PointsBalance.citizen_id)
        .where(PointsBalance.available > 0, ~done.exists())
        .order_by(PointsBalance.citizen_id)
        .limit(limit)
    ).all()
    for citizen_id in ids:
        balance = ledger.locked_balance(session, citizen_id, now)
        if balance.available > 0:
            ledger.post(
                session,
                citizen_id=citizen_id,
                kind="expire",
                key=f"expire:{period}:{citizen_id}",
                now=now,
                reason=f"积分清零（{period}）",
                ref_type="reset",
                ref_id=period,
                available=-balance.available,
            )
    session.flush()
    return len(ids)
