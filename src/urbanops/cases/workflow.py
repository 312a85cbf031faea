"""The case lifecycle: one transition table, the only way a case changes status.

Pure: no database. `next_status` raises `TransitionNotAllowed` before anything is written.
Side actions that do not change status (`rate`, `urge`, `escalate`, extension requests) are
listed in `EVENT_ACTIONS` with the statuses they are allowed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from urbanops.core.errors import TransitionNotAllowed
from urbanops.identity.roles import Role


class CaseStatus(StrEnum):
    reported = "reported"  # 上报, in the triage queue
    accepted = "accepted"  # 受理
    registered = "registered"  # 立案
    dispatched = "dispatched"  # 派遣
    in_progress = "in_progress"  # 处置中
    returned = "returned"  # 退回 by the unit: not its remit, awaits redispatch
    parked = "parked"  # 挂账
    awaiting_verification = "awaiting_verification"  # 待核查
    closed = "closed"  # 结案
    reopened = "reopened"  # 重新打开 (citizen disputed)
    merged = "merged"  # 并案
    void = "void"  # 作废


class CaseAction(StrEnum):
    accept = "accept"
    register = "register"
    dispatch = "dispatch"
    redispatch = "redispatch"
    start = "start"
    return_ = "return"
    park = "park"
    unpark = "unpark"
    submit_result = "submit_result"
    verify = "verify"
    rework = "rework"
    reopen = "reopen"
    merge = "merge"
    void = "void"
    # event-only actions
    submit = "submit"  # the report that opened the case
    rate = "rate"
    urge = "urge"
    escalate = "escalate"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    reject_extension = "reject_extension"
    split_off = "split"  # a supporter report split off into its own case
    remind = "remind"
    mark_overdue = "mark_overdue"
    support = "support"
    recompute_deadline = "recompute_deadline"  # a holiday schedule was published (staff only)


S, A = CaseStatus, CaseAction

TRANSITIONS: Mapping[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (S.reported, A.accept): S.accepted,
    (S.reported, A.merge): S.merged,
    (S.reported, A.void): S.void,
    (S.accepted, A.register): S.registered,
    (S.accepted, A.merge): S.merged,
    (S.accepted, A.void): S.void,
    (S.registered, A.dispatch): S.dispatched,
    (S.registered, A.void): S.void,
    (S.dispatched, A.start): S.in_progress,
    (S.dispatched, A.return_): S.returned,
    (S.dispatched, A.redispatch): S.dispatched,
    (S.dispatched, A.park): S.parked,
    (S.returned, A.redispatch): S.dispatched,
    (S.returned, A.void): S.void,
    (S.in_progress, A.return_): S.returned,
    (S.in_progress, A.submit_result): S.awaiting_verification,
    (S.in_progress, A.park): S.parked,
    (S.parked, A.unpark): S.in_progress,
    (S.awaiting_verification, A.verify): S.closed,
    (S.awaiting_verification, A.rework): S.in_progress,
    (S.closed, A.reopen): S.reopened,
    (S.reopened, A.start): S.in_progress,
}

OPEN_STATUSES = frozenset(
    {
        S.reported,
        S.accepted,
        S.registered,
        S.dispatched,
        S.in_progress,
        S.returned,
        S.parked,
        S.awaiting_verification,
        S.reopened,
    }
)
ACTIVE_WORK = frozenset({S.dispatched, S.in_progress, S.awaiting_verification, S.reopened})
# statuses in which a stage clock runs (see `stage_for`)
CLOCKED = frozenset(
    {S.accepted, S.registered, S.returned, S.dispatched, S.in_progress, S.reopened}
    | {S.awaiting_verification}
)

EVENT_ACTIONS: Mapping[CaseAction, frozenset[CaseStatus]] = {
    A.rate: frozenset({S.closed}),
    A.urge: ACTIVE_WORK | {S.returned, S.registered},
    A.escalate: ACTIVE_WORK | {S.returned, S.registered, S.parked},
    A.remind: ACTIVE_WORK | {S.registered, S.returned},
    A.mark_overdue: ACTIVE_WORK | {S.registered, S.returned},
    A.request_extension: frozenset({S.dispatched, S.in_progress, S.reopened}),
    A.approve_extension: frozenset({S.dispatched, S.in_progress, S.reopened}),
    A.reject_extension: frozenset({S.dispatched, S.in_progress, S.reopened}),
    A.support: OPEN_STATUSES,
    A.split_off: OPEN_STATUSES | {S.merged},
    A.recompute_deadline: CLOCKED,
}

# Who may take each action (admins and the system may take all). Unit-scoped roles
# (handler, area_chief, unit_manager) may act only on cases dispatched to their unit.
ACTION_ROLES: Mapping[CaseAction, frozenset[Role]] = {
    A.accept: frozenset({Role.intake_clerk, Role.shift_chief}),
    A.register: frozenset({Role.shift_chief, Role.intake_clerk}),
    A.dispatch: frozenset({Role.dispatcher, Role.shift_chief}),
    A.redispatch: frozenset({Role.dispatcher, Role.shift_chief}),
    A.start: frozenset({Role.handler, Role.area_chief, Role.unit_manager}),
    A.return_: frozenset({Role.handler, Role.area_chief, Role.unit_manager}),
    A.park: frozenset({Role.dispatcher, Role.shift_chief}),
    A.unpark: frozenset({Role.dispatcher, Role.shift_chief}),
    A.submit_result: frozenset({Role.handler, Role.area_chief, Role.unit_manager}),
    A.verify: frozenset({Role.inspector, Role.shift_chief}),
    A.rework: frozenset({Role.inspector, Role.shift_chief}),
    A.reopen: frozenset({Role.shift_chief, Role.intake_clerk}),
    A.merge: frozenset({Role.intake_clerk, Role.shift_chief}),
    A.void: frozenset({Role.intake_clerk, Role.shift_chief}),
    A.rate: frozenset({Role.intake_clerk}),
    A.urge: frozenset({Role.shift_chief, Role.dispatcher, Role.leader}),
    A.escalate: frozenset({Role.shift_chief, Role.leader}),
    A.request_extension: frozenset({Role.handler, Role.area_chief, Role.unit_manager}),
    A.approve_extension: frozenset({Role.dispatcher, Role.shift_chief}),
    A.reject_extension: frozenset({Role.dispatcher, Role.shift_chief}),
    A.split_off: frozenset({Role.intake_clerk, Role.shift_chief}),
    A.remind: frozenset(),
    A.mark_overdue: frozenset(),
    A.support: frozenset(),
    A.submit: frozenset(),
    A.recompute_deadline: frozenset(),
}

UNIT_SCOPED_ROLES = frozenset({Role.handler, Role.area_chief, Role.unit_manager})

STATUS_LABELS_ZH: Mapping[CaseStatus, str] = {
    S.reported: "待受理",
    S.accepted: "已受理",
    S.registered: "已立案",
    S.dispatched: "已派遣",
    S.in_progress: "处置中",
    S.returned: "已退回",
    S.parked: "挂账",
    S.awaiting_verification: "待核查",
    S.closed: "已结案",
    S.reopened: "重新处置",
    S.merged: "已并案",
    S.void: "已作废",
}

ACTION_LABELS_ZH: Mapping[CaseAction, str] = {
    A.accept: "受理",
    A.register: "立案",
    A.dispatch: "派遣",
    A.redispatch: "改派",
    A.start: "开始处置",
    A.return_: "退回",
    A.park: "挂账",
    A.unpark: "解除挂账",
    A.submit_result: "处置反馈",
    A.verify: "核查通过，结案",
    A.rework: "返工",
    A.reopen: "重新打开",
    A.merge: "并案",
    A.void: "作废",
    A.submit: "上报",
    A.rate: "评价",
    A.urge: "督办",
    A.escalate: "提级",
    A.request_extension: "申请延期",
    A.approve_extension: "批准延期",
    A.reject_extension: "驳回延期",
    A.split_off: "拆分",
    A.remind: "临期提醒",
    A.mark_overdue: "超期",
    A.support: "附议",
    A.recompute_deadline: "时限重算（节假日安排发布）",
}


def next_status(status: CaseStatus, action: CaseAction) -> CaseStatus:
    """The status after `action`, or `TransitionNotAllowed` (statuses unchanged by event actions)."""
    target = TRANSITIONS.get((status, action))
    if target is not None:
        return target
    if status in EVENT_ACTIONS.get(action, frozenset()):
        return status
    raise TransitionNotAllowed(
        f"案件当前状态为“{STATUS_LABELS_ZH[status]}”，不能执行“{ACTION_LABELS_ZH[action]}”",
        message_en=f"action '{action}' is not allowed in status '{status}'",
        extra={"case_status": str(status), "action": str(action)},
    )


def allowed_actions(status: CaseStatus) -> list[CaseAction]:
    out = [a for (s, a) in TRANSITIONS if s is status]
    out += [a for a, states in EVENT_ACTIONS.items() if status in states]
    return out


def stage_for(status: CaseStatus) -> str | None:
    """Which deadline stage runs in a status (None: no clock runs)."""
    if status in (S.accepted, S.registered, S.returned):
        return "dispatch"
    if status in (S.dispatched, S.in_progress, S.reopened):
        return "handle"
    if status is S.awaiting_verification:
        return "verify"
    return None


def render_table() -> str:
    """The transition table as Markdown (docs/case-lifecycle.md is generated from it)."""
    lines = [
        "# Case lifecycle",
        "",
        "Generated from `urbanops.cases.workflow`; a test fails when this file is stale.",
        "",
        "| from | action | to | who (besides admin and the system) |",
        "|---|---|---|---|",
    ]
    for (status, action), target in TRANSITIONS.items():
        roles = ", ".join(sorted(ACTION_ROLES.get(action, frozenset()))) or "system"
        lines.append(
            f"| {status} {STATUS_LABELS_ZH[status]} | {action} {ACTION_LABELS_ZH[action]} "
            f"| {target} {STATUS_LABELS_ZH[target]} | {roles} |"
        )
    lines += [
        "",
        "## Actions that record an event without changing status",
        "",
        "| action | allowed in | who |",
        "|---|---|---|",
    ]
    for action, states in EVENT_ACTIONS.items():
        roles = ", ".join(sorted(ACTION_ROLES.get(action, frozenset()))) or "system"
        allowed = ", ".join(sorted(states))
        lines.append(f"| {action} {ACTION_LABELS_ZH[action]} | {allowed} | {roles} |")
    lines += [
        "",
        "Citizens may `rate` and `reopen` (within the reopen window) their own cases only.",
        "Handlers, area chiefs and unit managers act only on cases dispatched to their unit.",
        "",
    ]
    return "\n".join(lines)
