"""Farming signals (刷分): computed by a job from the reports, the timeline, the reports' origins
and the invitations, stored as flags with their evidence for the rewards staff to review.

Signals, each over the last `flag_window_days`:
- `same_spot`: one citizen reported the same spot (the same h3 cell) `flag_same_spot_reports`
  times or more;
- `voided_soon`: `flag_voided_reports` or more of a citizen's cases were voided within
  `flag_void_within_hours` of being reported;
- `device_burst`: one device sent `flag_device_burst` reports or more within an hour (each
  citizen behind them is flagged);
- `shared_device`: `flag_device_accounts` accounts or more reported from one device;
- `assist_ring`: an inviter and the citizen they brought report from one device, or two
  citizens invited each other.

A flag's `key` names its signal, citizen and the spot, device, week or pair it is about, so a
detection run twice writes each flag once; a dismissed flag stays dismissed. Confirming a flag
freezes the citizen's earning (`rewards_profile.frozen_at`); dismissing a confirmed flag lifts
the freeze when no other confirmed flag holds it. Reviews are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from urbanops.admin import audit
from urbanops.cases.models import Case, CaseEvent
from urbanops.core.errors import Conflict, NotFound
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor
from urbanops.reports.models import Report, ReportOrigin
from urbanops.rewards import profiles
from urbanops.rewards.earning_models import RewardsProfile
from urbanops.rewards.flag_models import RewardsFlag
from urbanops.rewards.prizes import require_rewards_staff

SIGNAL_LABELS: dict[str, tuple[str, str]] = {
    "same_spot": ("同一地点反复上报", "Same spot reported again and again"),
    "voided_soon": ("上报后很快被作废", "Reports voided soon after"),
    "device_burst": ("同一设备短时大量上报", "Burst of reports from one device"),
    "shared_device": ("一台设备多个账号", "One device behind several accounts"),
    "assist_ring": ("助攻关系可疑", "Suspicious ring of assists"),
}


@dataclass(frozen=True)
class Found:
    citizen_id: int
    signal: str
    about: str  # what makes the flag unique besides signal and citizen
    evidence: dict[str, Any]


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}W{week:02d}"


def _same_spot(session: Session, since: datetime) -> list[Found]:
    s = get_settings().rewards
    rows: Sequence[Any] = session.execute(
        select(
            Report.reporter_citizen_id,
            Case.h3_cell,
            func.count(Report.id),
            func.array_agg(Case.number.distinct()),
        )
        .join(Case, Case.id == Report.case_id)
        .where(Report.reporter_citizen_id.is_not(None), Report.submitted_at >= since)
        .group_by(Report.reporter_citizen_id, Case.h3_cell)
        .having(func.count(Report.id) >= s.flag_same_spot_reports)
    ).all()
    return [
        Found(
            int(cid),
            "same_spot",
            cell,
            {"h3_cell": cell, "reports": n, "case_numbers": sorted(numbers)[:20]},
        )
        for cid, cell, n, numbers in rows
    ]


def _voided_soon(session: Session, since: datetime, now: datetime) -> list[Found]:
    s = get_settings().rewards
    within = timedelta(hours=s.flag_void_within_hours)
    rows: Sequence[Any] = session.execute(
        select(Case.reporter_citizen_id, func.array_agg(Case.number))
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            CaseEvent.action == "void",
            CaseEvent.at >= since,
            CaseEvent.at <= Case.reported_at + within,
            Case.reporter_citizen_id.is_not(None),
            Case.source == "citizen",
        )
        .group_by(Case.reporter_citizen_id)
        .having(func.count(CaseEvent.id) >= s.flag_voided_reports)
    ).all()
    return [
        Found(
            int(cid),
            "voided_soon",
            _week(now),
            {
                "voided": len(numbers),
                "within_hours": s.flag_void_within_hours,
                "case_numbers": sorted(numbers)[:20],
            },
        )
        for cid, numbers in rows
    ]


def _device_burst(session: Session, since: datetime) -> list[Found]:
    s = get_settings().rewards
    hour = func.date_trunc("hour", ReportOrigin.at)
    rows: Sequence[Any] = session.execute(
        select(
            ReportOrigin.device_hash,
            hour,
            func.count(ReportOrigin.report_id),
            func.array_agg(Report.reporter_citizen_id.distinct()),
        )
        .join(Report, Report.id == ReportOrigin.report_id)
        .where(ReportOrigin.device_hash.is_not(None), ReportOrigin.at >= since)
        .group_by(ReportOrigin.device_hash, hour)
        .having(func.count(ReportOrigin.report_id) >= s.flag_device_burst)
    ).all()
    out = []
    for device, at, n, citizens in rows:
        for cid in citizens:
            if cid is not None:
                out.append(
                    Found(
                        int(cid),
                        "device_burst",
                        f"{device[:16]}:{at:%Y%m%d%H}",
                        {"device": device[:16], "hour": at.isoformat(), "reports": n},
                    )
                )
    return out


def _shared_device(session: Session, since: datetime) -> list[Found]:
    s = get_settings().rewards
    accounts = func.array_agg(Report.reporter_citizen_id.distinct())
    rows: Sequence[Any] = session.execute(
        select(ReportOrigin.device_hash, accounts)
        .join(Report, Report.id == ReportOrigin.report_id)
        .where(
            ReportOrigin.device_hash.is_not(None),
            ReportOrigin.at >= since,
            Report.reporter_citizen_id.is_not(None),
        )
        .group_by(ReportOrigin.device_hash)
        .having(func.count(Report.reporter_citizen_id.distinct()) >= s.flag_device_accounts)
    ).all()
    return [
        Found(
            int(cid),
            "shared_device",
            device[:16],
            {"device": device[:16], "accounts": sorted(int(c) for c in ids)},
        )
        for device, ids in rows
        for cid in ids
    ]


def _assist_rings(session: Session, since: datetime) -> list[Found]:
    out = []
    # an inviter and their invitee behind one device
    mine, theirs = aliased(ReportOrigin), aliased(ReportOrigin)
    my_report, their_report = aliased(Report), aliased(Report)
    rows: Sequence[Any] = session.execute(
        select(RewardsProfile.citizen_id, RewardsProfile.invited_by_id, mine.device_hash)
        .join(my_report, my_report.reporter_citizen_id == RewardsProfile.citizen_id)
        .join(mine, mine.report_id == my_report.id)
        .join(their_report, their_report.reporter_citizen_id == RewardsProfile.invited_by_id)
        .join(
            theirs,
            and_(theirs.report_id == their_report.id, theirs.device_hash == mine.device_hash),
        )
        .where(
            RewardsProfile.invited_by_id.is_not(None),
            mine.device_hash.is_not(None),
            mine.at >= since,
        )
        .distinct()
    ).all()
    for invitee, inviter, device in rows:
        evidence = {"inviter": int(inviter), "invitee": int(invitee), "device": device[:16]}
        for cid in (inviter, invitee):
            out.append(Found(int(cid), "assist_ring", f"{inviter}>{invitee}", evidence))
    # two citizens who invited each other
    other = aliased(RewardsProfile)
    pairs: Sequence[Any] = session.execute(
        select(RewardsProfile.citizen_id, other.citizen_id).join(
            other,
            and_(
                other.citizen_id == RewardsProfile.invited_by_id,
                other.invited_by_id == RewardsProfile.citizen_id,
            ),
        )
    ).all()
    for a, b in pairs:
        evidence = {"mutual": sorted((int(a), int(b)))}
        out.append(Found(int(a), "assist_ring", f"{min(a, b)}<>{max(a, b)}", evidence))
    return out


def detect(session: Session, *, now: datetime) -> int:
    """Compute every signal over the window and store the new flags; returns how many."""
    since = now - timedelta(days=get_settings().rewards.flag_window_days)
    found = [
        *_same_spot(session, since),
        *_voided_soon(session, since, now),
        *_device_burst(session, since),
        *_shared_device(session, since),
        *_assist_rings(session, since),
    ]
    written = 0
    for f in found:
        key = f"{f.signal}:{f.citizen_id}:{f.about}"[:160]
        made = session.execute(
            insert(RewardsFlag)
            .values(
                citizen_id=f.citizen_id,
                signal=f.signal,
                key=key,
                evidence=f.evidence,
                status="open",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(RewardsFlag.id)
        ).scalar_one_or_none()
        written += made is not None
    return written


# --- review ----------------------------------------------------------------------------------


def list_flags(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    citizen_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[RewardsFlag]:
    require_rewards_staff(actor)
    q = select(RewardsFlag).order_by(RewardsFlag.id.desc()).limit(limit)
    if status is not None:
        q = q.where(RewardsFlag.status == status)
    if citizen_id is not None:
        q = q.where(RewardsFlag.citizen_id == citizen_id)
    if before_id is not None:
        q = q.where(RewardsFlag.id < before_id)
    return list(session.scalars(q))


def _locked_flag(session: Session, flag_id: int) -> RewardsFlag:
    flag = session.get(RewardsFlag, flag_id, with_for_update=True, populate_existing=True)
    if flag is None:
        raise NotFound("没有这条风险标记", code="flag_not_found", message_en="no such flag")
    return flag


def _state(flag: RewardsFlag) -> dict[str, Any]:
    return {"status": flag.status, "review_note": flag.review_note}


def confirm_flag(
    session: Session, *, actor: Actor, now: datetime, flag_id: int, note: str = ""
) -> RewardsFlag:
    """The farming is real: the citizen earns nothing more until the freeze is lifted."""
    require_rewards_staff(actor)
    flag = _locked_flag(session, flag_id)
    if flag.status != "open":
        raise Conflict(
            "这条风险标记已处理",
            code="flag_already_reviewed",
            message_en="this flag has been reviewed",
            extra={"status": flag.status},
        )
    before = _state(flag)
    flag.status, flag.reviewed_at, flag.reviewed_by, flag.review_note = (
        "confirmed",
        now,
        actor.id,
        note,
    )
    profile = profiles.profile(session, flag.citizen_id, now)
    if profile.frozen_at is None:
        profile.frozen_at = now
        profile.frozen_reason = f"{SIGNAL_LABELS[flag.signal][0]}（标记 {flag.id}）"
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="rewards_flag",
        key=flag.id,
        change="action",
        before=before,
        after={**_state(flag), "frozen": True, "citizen_id": flag.citizen_id},
    )
    return flag


def dismiss_flag(
    session: Session, *, actor: Actor, now: datetime, flag_id: int, note: str = ""
) -> RewardsFlag:
    """Not farming (or no longer held to be): a confirmed flag dismissed lifts the freeze when
    no other confirmed flag of the citizen holds it."""
    require_rewards_staff(actor)
    flag = _locked_flag(session, flag_id)
    if flag.status == "dismissed":
        raise Conflict(
            "这条风险标记已排除",
            code="flag_already_reviewed",
            message_en="this flag has been dismissed",
            extra={"status": flag.status},
        )
    before = _state(flag)
    was_confirmed = flag.status == "confirmed"
    flag.status, flag.reviewed_at, flag.reviewed_by, flag.review_note = (
        "dismissed",
        now,
        actor.id,
        note,
    )
    session.flush()
    unfrozen = False
    if was_confirmed:
        others = session.scalar(
            select(func.count(RewardsFlag.id)).where(
                RewardsFlag.citizen_id == flag.citizen_id, RewardsFlag.status == "confirmed"
            )
        )
        profile = profiles.find_profile(session, flag.citizen_id)
        if not others and profile is not None and profile.frozen_at is not None:
            profile.frozen_at, profile.frozen_reason = None, None
            unfrozen = True
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="rewards_flag",
        key=flag.id,
        change="action",
        before=before,
        after={**_state(flag), "unfrozen": unfrozen, "citizen_id": flag.citizen_id},
    )
    return flag


def flags_of(session: Session, citizen_id: int, limit: int = 50) -> list[RewardsFlag]:
    return list(
        session.scalars(
            select(RewardsFlag)
            .where(RewardsFlag.citizen_id == citizen_id)
            .order_by(RewardsFlag.id.desc())
            .limit(limit)
        )
    )
