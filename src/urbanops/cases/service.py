"""Case workflow use cases: the only writers of cases and their timeline.

Each public function takes keyword-only `session`, `actor` and `now`, checks authorization and
the transition table before writing, updates the case and writes its `CaseEvent` in the same
transaction (the caller commits), and enqueues notifications in that same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases.deadlines import Ladder, LadderPolicy, ladder_level, next_step_at
from urbanops.cases.models import Case, CaseEvent, ExtensionRequest
from urbanops.cases.workflow import (
    ACTION_ROLES,
    CLOCKED,
    OPEN_STATUSES,
    UNIT_SCOPED_ROLES,
    CaseAction,
    CaseStatus,
    next_status,
    stage_for,
)
from urbanops.catalogue.models import TimeLimit
from urbanops.core import jobs
from urbanops.core.cache import RefCache
from urbanops.core.calendar import SHANGHAI, Due, TimeUnit, WorkingCalendar
from urbanops.core.calendar_store import load_calendar
from urbanops.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ScheduleUnknown,
)
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor, ActorKind, Role
from urbanops.reports.photos import photo_refs

A, S = CaseAction, CaseStatus
CACHE_SECONDS = 60.0
NOTIFY_TASK = "notifications:notify_case_event"  # with `event_id`, for NOTIFY_ACTIONS
NOTIFY_ACTIONS = frozenset(
    {
        A.dispatch,
        A.redispatch,
        A.start,
        A.return_,
        A.submit_result,
        A.verify,
        A.rework,
        A.reopen,
        A.merge,
        A.void,
        A.park,
        A.urge,
        A.escalate,
        A.mark_overdue,
        A.remind,
        A.approve_extension,
        A.reject_extension,
        A.support,
    }
)


# --- reference caches ------------------------------------------------------------------------


Reference = tuple[dict[tuple[str, str], tuple[float, str]], WorkingCalendar]
_ref: RefCache[Reference] = RefCache(CACHE_SECONDS)


def _reference(session: Session) -> Reference:
    def load() -> Reference:
        limits = {
            (t.matter_code, t.stage): (t.amount, t.unit) for t in session.scalars(select(TimeLimit))
        }
        return limits, load_calendar(session)

    return _ref.get(load)


def working_calendar(session: Session) -> WorkingCalendar:
    return _reference(session)[1]


def calendar_changed(session: Session) -> None:
    """Drop the cached calendar now and again when `session` ends its transaction (so that no
    thread keeps a calendar read before the change committed, or one that was rolled back)."""
    _ref.invalidate()
    for name in ("after_commit", "after_rollback"):
        if not event.contains(session, name, _invalidate_reference):
            event.listen(session, name, _invalidate_reference, once=True)


def _invalidate_reference(_session: Session) -> None:
    _ref.invalidate()


# --- helpers ---------------------------------------------------------------------------------


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound(f"案件 {case_id} 不存在", code="case_not_found", message_en="case not found")
    return case


def authorize(actor: Actor, case: Case, action: CaseAction) -> None:
    if actor.kind is ActorKind.system:
        return
    if actor.kind is ActorKind.citizen:
        if action in (A.rate, A.reopen) and case.reporter_citizen_id == actor.id:
            return
        raise PermissionDenied(
            "只有上报人本人可以评价或申请重新处置",
            code="not_reporter",
            message_en="only the reporter may do this",
        )
    if Role.admin in actor.roles:
        return
    mine = actor.roles & ACTION_ROLES.get(action, frozenset())
    if actor.kind is not ActorKind.staff or not mine:
        raise PermissionDenied(
            "您的角色无权执行此操作",
            code="role_not_allowed",
            message_en="your role may not do this",
        )
    if mine <= UNIT_SCOPED_ROLES and case.unit_id != actor.unit_id:
        raise PermissionDenied(
            "该案件不属于您所在的单位",
            code="outside_unit_scope",
            message_en="the case is not dispatched to your unit",
        )


def _set_stage_due(
    session: Session,
    case: Case,
    stage: str,
    start: datetime,
    calendar: WorkingCalendar | None = None,
) -> None:
    """Set `due_at` and the deadline flags for a stage starting at `start`: no deadline when
    the matter has no limit; `deadline_provisional` when the count ran through the next
    unpublished year (weekdays alone); `deadline_unknown` (and no deadline) beyond it."""
    case.due_at, case.deadline_unknown, case.deadline_provisional = None, False, False
    if case.matter_code is None:
        return
    limits, cached = _reference(session)
    limit = limits.get((case.matter_code, stage))
    if limit is None:
        return
    try:
        due = (calendar or cached).due(start, limit[0], TimeUnit(limit[1]))
    except ScheduleUnknown:
        case.deadline_unknown = True
        return
    case.due_at, case.deadline_provisional = due.at, due.provisional


def _extend(case: Case, calendar: WorkingCalendar, amount: float, unit: str) -> None:
    """Move a running deadline by an approved extension (unknown when the calendar is)."""
    if case.due_at is None:
        return
    try:
        due: Due = calendar.due(case.due_at, amount, TimeUnit(unit))
    except ScheduleUnknown:
        case.due_at, case.deadline_unknown, case.deadline_provisional = None, True, False
        return
    case.due_at = due.at
    case.deadline_provisional = case.deadline_provisional or due.provisional


def _start_clock(session: Session, case: Case, now: datetime) -> None:
    stage = stage_for(CaseStatus(case.status))
    case.stage = stage
    case.overdue = False
    case.escalation_level = 0
    if stage is None:
        case.stage_started_at = case.due_at = case.next_step_at = None
        case.deadline_unknown = case.deadline_provisional = False
        return
    case.stage_started_at = now
    _set_stage_due(session, case, stage, now)
    schedule_ladder(case)


def schedule_ladder(case: Case) -> None:
    """Set when the deadline sweep must next look at the case."""
    if case.due_at is None or case.stage_started_at is None:
        case.next_step_at = None
        return
    case.next_step_at = next_step_at(
        case.escalation_level, case.stage_started_at, case.due_at, ladder_policy()
    )


def ladder_policy() -> LadderPolicy:
    d = get_settings().deadlines
    return LadderPolicy(
        remind_fraction=d.remind_fraction,
        urge_after=timedelta(hours=d.urge_after_hours),
        escalate_after=timedelta(hours=d.escalate_after_hours),
    )


def event_values(
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    from_status: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
    public: bool = True,
) -> dict[str, Any]:
    """The columns of the `CaseEvent` that records `action` on `case` (now in its new status)."""
    return {
        "case_id": case.id,
        "at": now,
        "action": str(action),
        "from_status": from_status,
        "to_status": case.status,
        "actor_kind": str(actor.kind),
        "actor_id": actor.id,
        "actor_label": actor.label,
        "note": note,
        "data": data or {},
        "attachments": list(attachments),
        "public": public,
    }


def record(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    from_status: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
    public: bool = True,
    notify: bool = True,
) -> CaseEvent:
    event = CaseEvent(
        **event_values(
            case,
            action,
            actor=actor,
            now=now,
            from_status=from_status,
            note=note,
            data=data,
            attachments=attachments,
            public=public,
        )
    )
    session.add(event)
    case.updated_at = now
    if notify and action in NOTIFY_ACTIONS:
        jobs.enqueue_for(session, NOTIFY_TASK, event, "event_id")
    return event


def apply_action(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    restart_clock: bool = False,
) -> str:
    """The state change of `transition` without its timeline row: authorize, check the table,
    change status and clock. Returns the status before."""
    authorize(actor, case, action)
    before = case.status
    after = next_status(CaseStatus(before), action)
    case.status = str(after)
    if after != before or restart_clock:
        _start_clock(session, case, now)
    if after is S.closed:
        case.closed_at = now
    return before


def transition(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
    restart_clock: bool = False,
    public: bool = True,
    notify: bool = True,
) -> CaseEvent:
    """Apply one action: authorize, check the table, change status, clock and timeline."""
    before = apply_action(session, case, action, actor=actor, now=now, restart_clock=restart_clock)
    return record(
        session,
        case,
        action,
        actor=actor,
        now=now,
        from_status=before,
        note=note,
        data=data,
        attachments=attachments,
        public=public,
        notify=notify,
    )


# --- a case and its first steps written at once ------------------------------------------------


@dataclass(frozen=True)
class PlannedEvent:
    """A timeline row of a case that is not written yet (see `NewCase`)."""

    values: dict[str, Any]  # the `CaseEvent` columns; `case_id` is filled in on insert
    notify: bool


@dataclass
class NewCase:
    """A case built in memory with its first timeline rows, to be written in one statement.

    `submit` and `step` run the same rules as `record` and `transition` (the table, the
    clock, authorization) on the unsaved case; the caller inserts `case` and `events` together
    (see `urbanops.reports.service`), which costs one round trip instead of an ORM flush per row.
    """

    case: Case
    events: list[PlannedEvent] = field(default_factory=list)

    def submit(self, *, actor: Actor, now: datetime, data: dict[str, Any]) -> None:
        """The timeline row of the report that opened the case."""
        self._add(A.submit, actor=actor, now=now, from_status=None, data=data, notify=False)

    def step(
        self,
        session: Session,
        action: CaseAction,
        *,
        actor: Actor,
        now: datetime,
        data: dict[str, Any] | None = None,
        notify: bool = True,
    ) -> None:
        """`transition` on the unsaved case."""
        before = apply_action(session, self.case, action, actor=actor, now=now)
        self._add(action, actor=actor, now=now, from_status=before, data=data, notify=notify)

    def _add(
        self,
        action: CaseAction,
        *,
        actor: Actor,
        now: datetime,
        from_status: str | None,
        data: dict[str, Any] | None,
        notify: bool,
    ) -> None:
        values = event_values(
            self.case, action, actor=actor, now=now, from_status=from_status, data=data
        )
        del values["case_id"]
        self.case.updated_at = now
        self.events.append(PlannedEvent(values, notify and action in NOTIFY_ACTIONS))


def _require(text: str, field: str, what_zh: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(
            f"请填写{what_zh}",
            code="missing_field",
            message_en=f"{field} is required",
            extra={"field": field},
        )
    return text


# --- use cases ---------------------------------------------------------------------------------


def accept_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, matter_code: str | None = None
) -> Case:
    case = get_case(session, case_id, for_update=True)
    if matter_code:
        case.matter_code = matter_code
    if case.matter_code is None:
        raise InvalidInput(
            "受理前须确定管理事项", code="matter_required", message_en="choose a matter first"
        )
    transition(session, case, A.accept, actor=actor, now=now, data={"matter_code": matter_code})
    return case


def register_case(session: Session, *, actor: Actor, now: datetime, case_id: int) -> Case:
    case = get_case(session, case_id, for_update=True)
    transition(session, case, A.register, actor=actor, now=now)
    return case


def _route(session: Session, case: Case, unit_id: int | None) -> int:
    if unit_id is not None:
        areas.unit_name(session, unit_id)  # raises NotFound for unknown units
        return unit_id
    if case.town_code is None or case.matter_code is None:
        raise InvalidInput(
            "请指定处置单位", code="unit_required", message_en="no unit given and none derivable"
        )
    routing = areas.responsible_unit(session, case.town_code, case.matter_code)
    if routing is None:
        raise InvalidInput(
            "责任矩阵中没有对应的处置单位，请指定",
            code="no_responsible_unit",
            message_en="the responsibility matrix has no unit for this case",
        )
    return routing.unit_id


def dispatch_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, unit_id: int | None = None
) -> Case:
    case = get_case(session, case_id, for_update=True)
    authorize(actor, case, A.dispatch)
    next_status(CaseStatus(case.status), A.dispatch)
    case.unit_id = _route(session, case, unit_id)
    case.dispatched_at = now
    transition(
        session,
        case,
        A.dispatch,
        actor=actor,
        now=now,
        data={"unit_id": case.unit_id, "unit_name": areas.unit_name(session, case.unit_id)},
    )
    return case


def redispatch_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    unit_id: int | None,
    note: str = "",
) -> Case:
    case = get_case(session, case_id, for_update=True)
    authorize(actor, case, A.redispatch)
    next_status(CaseStatus(case.status), A.redispatch)
    previous = case.unit_id
    case.unit_id = _route(session, case, unit_id)
    case.dispatched_at = now
    transition(
        session,
        case,
        A.redispatch,
        actor=actor,
        now=now,
        note=note,
        restart_clock=True,
        data={
            "from_unit_id": previous,
            "unit_id": case.unit_id,
            "unit_name": areas.unit_name(session, case.unit_id),
        },
    )
    return case


def start_case(session: Session, *, actor: Actor, now: datetime, case_id: int) -> Case:
    case = get_case(session, case_id, for_update=True)
    status = CaseStatus(case.status)
    # the handle clock keeps running from dispatch; reopening starts a new one
    transition(session, case, A.start, actor=actor, now=now, restart_clock=status is S.reopened)
    if status is S.dispatched:
        _keep_clock_from_dispatch(session, case)
    return case


def _keep_clock_from_dispatch(session: Session, case: Case) -> None:
    dispatched = case.dispatched_at or case.stage_started_at
    if dispatched is not None and case.stage == "handle":
        case.stage_started_at = dispatched
        _set_stage_due(session, case, "handle", dispatched)
        _apply_approved_extensions(session, case, working_calendar(session))
        schedule_ladder(case)


def return_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str
) -> Case:
    case = get_case(session, case_id, for_update=True)
    reason = _require(reason, "reason", "退回理由")
    transition(
        session, case, A.return_, actor=actor, now=now, note=reason, data={"unit_id": case.unit_id}
    )
    return case


def park_case(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str) -> Case:
    case = get_case(session, case_id, for_update=True)
    case.park_reason = _require(reason, "reason", "挂账原因")
    transition(session, case, A.park, actor=actor, now=now, note=case.park_reason)
    return case


def unpark_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, note: str = ""
) -> Case:
    case = get_case(session, case_id, for_update=True)
    transition(session, case, A.unpark, actor=actor, now=now, note=note)
    case.park_reason = None
    return case


def _photos(session: Session, actor: Actor, photos: Sequence[Any]) -> list[str]:
    """A verb's photos as the ids the timeline keeps: staff may attach any photo uploaded here,
    a citizen only their own; anything else is refused naming the field."""
    citizen_id = actor.id if actor.kind is ActorKind.citizen else None
    return photo_refs(session, photos, field="photos", citizen_id=citizen_id)


def submit_result(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    note: str,
    photos: Sequence[Any] = (),
) -> Case:
    photos = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    note = _require(note, "note", "处置情况说明")
    transition(session, case, A.submit_result, actor=actor, now=now, note=note, attachments=photos)
    return case


def verify_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    note: str = "",
    photos: Sequence[Any] = (),
) -> Case:
    photos = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    transition(session, case, A.verify, actor=actor, now=now, note=note, attachments=photos)
    return case


def rework_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    reason: str,
    photos: Sequence[Any] = (),
) -> Case:
    photos = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    reason = _require(reason, "reason", "返工原因")
    transition(
        session,
        case,
        A.rework,
        actor=actor,
        now=now,
        note=reason,
        attachments=photos,
        restart_clock=True,
    )
    return case


def reopen_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    reason: str,
    photos: Sequence[Any] = (),
) -> Case:
    photos = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    reason = _require(reason, "reason", "重新处置的理由")
    window = timedelta(days=get_settings().intake.reopen_window_days)
    authorize(actor, case, A.reopen)
    next_status(CaseStatus(case.status), A.reopen)
    if case.closed_at is None or now > case.closed_at + window:
        raise Conflict(
            f"结案已超过 {window.days} 天，不能重新打开",
            code="reopen_window_passed",
            message_en=f"more than {window.days} days since closing",
        )
    transition(session, case, A.reopen, actor=actor, now=now, note=reason, attachments=photos)
    case.closed_at = None
    case.rating = None
    case.rating_comment = None
    return case


def merge_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    into_case_id: int,
    note: str = "",
) -> Case:
    if case_id == into_case_id:
        raise InvalidInput(
            "不能与自身并案", code="merge_into_self", message_en="cannot merge into itself"
        )
    case = get_case(session, case_id, for_update=True)
    target = get_case(session, into_case_id, for_update=True)
    if CaseStatus(target.status) not in OPEN_STATUSES or target.merged_into_id is not None:
        raise Conflict(
            "目标案件已办结或已并案",
            code="merge_target_closed",
            message_en="the target case is not open",
        )
    transition(
        session,
        case,
        A.merge,
        actor=actor,
        now=now,
        note=note,
        data={"into_case_id": target.id, "into_number": target.number},
    )
    case.merged_into_id = target.id
    target.supporters += 1 + case.supporters
    record(
        session,
        target,
        A.support,
        actor=actor,
        now=now,
        from_status=target.status,
        data={"merged_case_id": case.id, "merged_number": case.number},
        notify=False,
    )
    return case


def void_case(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str) -> Case:
    case = get_case(session, case_id, for_update=True)
    reason = _require(reason, "reason", "作废原因")
    transition(session, case, A.void, actor=actor, now=now, note=reason)
    return case


def rate_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, rating: int, comment: str = ""
) -> Case:
    case = get_case(session, case_id, for_update=True)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(
            "评分须为 1 到 5 的整数",
            code="invalid_rating",
            message_en="rating must be an integer from 1 to 5",
        )
    authorize(actor, case, A.rate)
    next_status(CaseStatus(case.status), A.rate)
    if case.rating is not None:
        raise Conflict("该案件已评价", code="already_rated", message_en="already rated")
    case.rating, case.rating_comment = rating, comment.strip() or None
    record(
        session,
        case,
        A.rate,
        actor=actor,
        now=now,
        from_status=case.status,
        note=comment.strip(),
        data={"rating": rating},
    )
    return case


def urge_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, note: str = ""
) -> Case:
    case = get_case(session, case_id, for_update=True)
    transition(session, case, A.urge, actor=actor, now=now, note=note, public=False)
    return case


def escalate_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, note: str = ""
) -> Case:
    case = get_case(session, case_id, for_update=True)
    transition(session, case, A.escalate, actor=actor, now=now, note=note, public=False)
    return case


def request_extension(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    amount: float,
    unit: str,
    reason: str,
) -> ExtensionRequest:
    case = get_case(session, case_id, for_update=True)
    reason = _require(reason, "reason", "延期理由")
    try:
        time_unit = TimeUnit(unit)
    except ValueError as exc:
        raise InvalidInput(
            "时限单位无效",
            code="invalid_time_unit",
            message_en="unit must be natural_hours, working_hours or working_days",
        ) from exc
    if not amount or amount <= 0:
        raise InvalidInput(
            "延期时长须大于 0", code="invalid_amount", message_en="amount must be > 0"
        )
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending"
        )
    )
    if pending is not None:
        raise Conflict(
            "已有待审批的延期申请",
            code="extension_pending",
            message_en="an extension request is already pending",
        )
    transition(
        session,
        case,
        A.request_extension,
        actor=actor,
        now=now,
        note=reason,
        data={"amount": amount, "unit": str(time_unit)},
        public=False,
    )
    req = ExtensionRequest(
        case_id=case.id,
        requested_by=actor.id,
        requested_at=now,
        amount=amount,
        unit=str(time_unit),
        reason=reason,
        status="pending",
    )
    session.add(req)
    session.flush()
    return req


def decide_extension(
    session: Session, *, actor: Actor, now: datetime, case_id: int, approve: bool, note: str = ""
) -> ExtensionRequest:
    case = get_case(session, case_id, for_update=True)
    req = session.scalars(
        select(ExtensionRequest).where(
            ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending"
        )
    ).one_or_none()
    if req is None:
        raise NotFound(
            "没有待审批的延期申请",
            code="no_pending_extension",
            message_en="no pending extension request",
        )
    action = A.approve_extension if approve else A.reject_extension
    previous_due = case.due_at
    authorize(actor, case, action)
    next_status(CaseStatus(case.status), action)
    req.status = "approved" if approve else "rejected"
    req.decided_by, req.decided_at, req.decision_note = actor.id, now, note or None
    if approve and case.due_at is not None:
        _extend(case, working_calendar(session), req.amount, req.unit)
        case.overdue = False
        case.escalation_level = 0
        schedule_ladder(case)
    transition(
        session,
        case,
        action,
        actor=actor,
        now=now,
        note=note,
        data={
            "request_id": req.id,
            "previous_due_at": _iso(previous_due),
            "due_at": _iso(case.due_at),
        },
    )
    return req


def _apply_approved_extensions(session: Session, case: Case, calendar: WorkingCalendar) -> None:
    """Extensions approved since the running stage started, in the order they were approved."""
    if case.stage_started_at is None:
        return
    for req in session.scalars(
        select(ExtensionRequest)
        .where(
            ExtensionRequest.case_id == case.id,
            ExtensionRequest.status == "approved",
            ExtensionRequest.decided_at >= case.stage_started_at,
        )
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    ):
        _extend(case, calendar, req.amount, req.unit)


# stages whose clock runs (`stage_for` is not None)
CLOCKED_STATUSES = tuple(sorted(str(s) for s in CLOCKED))


def recompute_deadlines(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    year: int | None = None,
) -> list[Case]:
    """Recompute the running deadline of every case that is provisional or unknown, or whose
    stage runs through `year` (a schedule just published), with `calendar`; returns the cases
    whose deadline changed, each with a staff-only `recompute_deadline` timeline row."""
    touched = or_(Case.deadline_provisional.is_(True), Case.deadline_unknown.is_(True))
    if year is not None:
        first = datetime(year, 1, 1, tzinfo=SHANGHAI)
        after = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
        touched = or_(touched, (Case.due_at >= first) & (Case.stage_started_at < after))
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_(CLOCKED_STATUSES),
            Case.stage.is_not(None),
            Case.stage_started_at.is_not(None),
            touched,
        )
        .order_by(Case.id)
        .with_for_update()
    ).all()
    changed = []
    for case in cases:
        if case.stage is None or case.stage_started_at is None:  # pragma: no cover
            continue
        before = (case.due_at, case.deadline_unknown, case.deadline_provisional)
        _set_stage_due(session, case, case.stage, case.stage_started_at, calendar)
        _apply_approved_extensions(session, case, calendar)
        if (case.due_at, case.deadline_unknown, case.deadline_provisional) == before:
            continue
        _rejoin_ladder(case, now)
        record(
            session,
            case,
            A.recompute_deadline,
            actor=actor,
            now=now,
            from_status=case.status,
            data={
                "stage": case.stage,
                "previous_due_at": _iso(before[0]),
                "due_at": _iso(case.due_at),
                "provisional": case.deadline_provisional,
                "unknown": case.deadline_unknown,
            },
            public=False,
            notify=False,
        )
        changed.append(case)
    return changed


def _rejoin_ladder(case: Case, now: datetime) -> None:
    """After a deadline moved: step back down the ladder if the new deadline is further off
    (steps already recorded stay in the timeline); the sweep climbs any step now due."""
    if case.due_at is None or case.stage_started_at is None:
        case.escalation_level, case.overdue = 0, False
    else:
        reached = ladder_level(now, case.stage_started_at, case.due_at, ladder_policy())
        case.escalation_level = min(case.escalation_level, int(reached))
        case.overdue = case.escalation_level >= Ladder.overdue
    schedule_ladder(case)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Timeline:
    case: Case
    events: list[CaseEvent]


def case_timeline(session: Session, case_id: int, *, public_only: bool = False) -> Timeline:
    case = get_case(session, case_id)
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return Timeline(case, list(session.scalars(stmt)))
