"""The case verbs: what the command centre, the units, inspectors and citizens do to a case.

Each takes keyword-only `session`, `actor`, `now` and `case_id`, plus the fields the registry
lists for its action (same names), validates them, and takes the action through the apply step
(`cases.timeline.apply`), which checks role, scope and table before anything is written. The
caller commits. Extensions are in `cases.extensions`, intake in `cases.intake`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases import clock
from urbanops.cases.models import Case
from urbanops.cases.queries import get_case
from urbanops.cases.timeline import apply, check
from urbanops.cases.workflow import OPEN_STATUSES, RATING_SCALE, REGISTRY, CaseAction, CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import Conflict, InvalidInput
from urbanops.core.settings import get_settings
from urbanops.identity.roles import Actor, ActorKind
from urbanops.reports.photos import photo_refs

A, S = CaseAction, CaseStatus


def require_text(action: CaseAction, field: str, text: str) -> str:
    """`text` stripped, or a 422 naming `field` (in the registry's words) when it is blank."""
    text = (text or "").strip()
    if not text:
        spec = REGISTRY[action].field(field)
        what = spec.label_zh if spec else field
        raise InvalidInput(
            f"请填写{what}",
            code="missing_field",
            message_en=f"{field} is required",
            extra={"field": field},
        )
    return text


def _photos(
    session: Session, actor: Actor, photos: Sequence[Any], field: str = "photos"
) -> list[str]:
    """A verb's photos as the ids the timeline keeps: staff may attach any photo uploaded here,
    a citizen only their own; anything else is refused naming the field."""
    citizen_id = actor.id if actor.kind is ActorKind.citizen else None
    return photo_refs(session, photos, field=field, citizen_id=citizen_id)


def accept_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, matter_code: str | None = None
) -> Case:
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.accept)
    if matter_code is None and case.matter_code is None:
        raise InvalidInput(
            "受理前须确定管理事项",
            code="matter_required",
            message_en="choose a matter first",
            extra={"field": "matter_code"},
        )
    if matter_code is not None:
        from urbanops.catalogue import service as catalogue

        catalogue.require_matter(session, matter_code)
    changes = {"matter_code": matter_code} if matter_code else None
    apply(
        session,
        case,
        A.accept,
        actor=actor,
        now=now,
        data={"matter_code": matter_code},
        changes=changes,
    )
    return case


def register_case(session: Session, *, actor: Actor, now: datetime, case_id: int) -> Case:
    case = get_case(session, case_id, for_update=True)
    apply(session, case, A.register, actor=actor, now=now)
    return case


def route(session: Session, case: Case, unit_id: int | None) -> int:
    """The unit a case goes to: the one given, or the responsibility matrix's."""
    if unit_id is not None:
        areas.unit_name(session, unit_id)  # raises NotFound for unknown units
        return unit_id
    if case.town_code is None or case.matter_code is None:
        raise InvalidInput(
            "请指定处置单位",
            code="unit_required",
            message_en="no unit given and none derivable",
            extra={"field": "unit_id"},
        )
    routing = areas.responsible_unit(session, case.town_code, case.matter_code)
    if routing is None:
        raise InvalidInput(
            "责任矩阵中没有对应的处置单位，请指定",
            code="no_responsible_unit",
            message_en="the responsibility matrix has no unit for this case",
            extra={"field": "unit_id"},
        )
    return routing.unit_id


@dataclass(frozen=True)
class DispatchPlan:
    """What a dispatch writes: the case's unit and `dispatched_at`, and the event's data.
    `dispatch_case` and intake's automatic dispatch both take it from `dispatch_plan`."""

    unit_id: int
    unit_name: str
    auto: bool = False  # the system dispatched at intake

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"unit_id": self.unit_id, "unit_name": self.unit_name}
        return data | {"auto": True} if self.auto else data

    def changes(self, now: datetime) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "dispatched_at": now}


def dispatch_plan(
    session: Session, case: Case, unit_id: int | None = None, *, auto: bool = False
) -> DispatchPlan:
    """The dispatch of `case` to `unit_id`, or to the responsibility matrix's unit."""
    unit = route(session, case, unit_id)
    return DispatchPlan(unit, areas.unit_name(session, unit), auto)


def dispatch_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, unit_id: int | None = None
) -> Case:
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.dispatch)
    plan = dispatch_plan(session, case, unit_id)
    apply(
        session,
        case,
        A.dispatch,
        actor=actor,
        now=now,
        data=plan.data(),
        changes=plan.changes(now),
    )
    return case


def redispatch_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    unit_id: int | None = None,
    note: str = "",
) -> Case:
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.redispatch)
    unit = route(session, case, unit_id)
    apply(
        session,
        case,
        A.redispatch,
        actor=actor,
        now=now,
        note=note,
        restart_clock=True,
        data={
            "from_unit_id": case.unit_id,
            "unit_id": unit,
            "unit_name": areas.unit_name(session, unit),
        },
        changes={"unit_id": unit, "dispatched_at": now},
    )
    return case


def start_case(session: Session, *, actor: Actor, now: datetime, case_id: int) -> Case:
    case = get_case(session, case_id, for_update=True)
    status = CaseStatus(case.status)
    # the handle clock keeps running from dispatch; reopening starts a new one
    apply(session, case, A.start, actor=actor, now=now, restart_clock=status is S.reopened)
    if status is S.dispatched:
        clock.keep_clock_from_dispatch(session, case)
    return case


def return_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str
) -> Case:
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.return_, "reason", reason)
    apply(
        session, case, A.return_, actor=actor, now=now, note=reason, data={"unit_id": case.unit_id}
    )
    return case


def park_case(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str) -> Case:
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.park, "reason", reason)
    apply(session, case, A.park, actor=actor, now=now, note=reason, changes={"park_reason": reason})
    return case


def unpark_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, note: str = ""
) -> Case:
    case = get_case(session, case_id, for_update=True)
    apply(session, case, A.unpark, actor=actor, now=now, note=note, changes={"park_reason": None})
    return case


def submit_result(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    note: str,
    photos: Sequence[Any] = (),
    before_photos: Sequence[Any] = (),
) -> Case:
    """处置反馈: what was done, with photos after the work (`photos`) and of the spot before it
    (`before_photos`). The timeline row attaches both, after photos first; its data names the
    before photos, so that the citizen's 处置前 / 处置后 and the staff's view can tell them apart."""
    after = _photos(session, actor, photos)
    before = _photos(session, actor, before_photos, field="before_photos")
    case = get_case(session, case_id, for_update=True)
    note = require_text(A.submit_result, "note", note)
    apply(
        session,
        case,
        A.submit_result,
        actor=actor,
        now=now,
        note=note,
        data={"before_photos": before} if before else None,
        attachments=after + [p for p in before if p not in after],
    )
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
    refs = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    apply(session, case, A.verify, actor=actor, now=now, note=note, attachments=refs)
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
    refs = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.rework, "reason", reason)
    apply(
        session,
        case,
        A.rework,
        actor=actor,
        now=now,
        note=reason,
        attachments=refs,
        restart_clock=True,
    )
    return case


def reopen_deadline(case: Case) -> datetime | None:
    """Until when the reporter may dispute a closed case (None: it is not closed)."""
    if case.closed_at is None:
        return None
    return case.closed_at + timedelta(days=get_settings().intake.reopen_window_days)


def reopen_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    reason: str,
    photos: Sequence[Any] = (),
) -> Case:
    refs = _photos(session, actor, photos)
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.reopen, "reason", reason)
    check(actor, case, A.reopen)
    until = reopen_deadline(case)
    if until is None or now > until:
        days = get_settings().intake.reopen_window_days
        raise Conflict(
            f"结案已超过 {days} 天，不能重新打开",
            code="reopen_window_passed",
            message_en=f"more than {days} days since closing",
        )
    apply(
        session,
        case,
        A.reopen,
        actor=actor,
        now=now,
        note=reason,
        attachments=refs,
        changes={"closed_at": None, "rating": None, "rating_comment": None},
    )
    return case


def merge_case(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    into_case_id: int | None = None,
    into_number: str | None = None,
    note: str = "",
) -> Case:
    """并案 into the case with number `into_number` (or id `into_case_id`): this case is
    closed as merged and the other gains its supporters."""
    into_case_id = merge_target_id(session, into_case_id, into_number)
    if case_id == into_case_id:
        raise InvalidInput(
            "不能与自身并案",
            code="merge_into_self",
            message_en="cannot merge into itself",
            extra={"field": "into_number" if into_number else "into_case_id"},
        )
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.merge)
    target = get_case(session, into_case_id, for_update=True)
    if CaseStatus(target.status) not in OPEN_STATUSES or target.merged_into_id is not None:
        raise Conflict(
            "目标案件已办结或已并案",
            code="merge_target_closed",
            message_en="the target case is not open",
        )
    apply(
        session,
        case,
        A.merge,
        actor=actor,
        now=now,
        note=note,
        data={"into_case_id": target.id, "into_number": target.number},
        changes={"merged_into_id": target.id},
    )
    apply(
        session,
        target,
        A.support,
        actor=actor,
        now=now,
        data={"merged_case_id": case.id, "merged_number": case.number},
        changes={"supporters": target.supporters + 1 + case.supporters},
    )
    return case


def merge_target_id(session: Session, into_case_id: int | None, into_number: str | None) -> int:
    """The id of the case to merge into, given by number or by id (exactly one)."""
    if (into_case_id is None) == (into_number is None):
        raise InvalidInput(
            "请填写并入的案件编号",
            code="missing_field",
            message_en="give into_number (or into_case_id), not both",
            extra={"field": "into_number"},
        )
    if into_case_id is not None:
        return into_case_id
    found = session.scalar(select(Case.id).where(Case.number == into_number))
    if found is None:
        raise InvalidInput(
            f"案件编号 {into_number} 不存在",
            code="unknown_case_number",
            message_en=f"no case numbered {into_number}",
            extra={"field": "into_number"},
        )
    return found


def refer_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, channel: str, reply: str = ""
) -> Case:
    """转办: the case is not urban management; the channel that takes it is named and the
    citizen gets `reply` (by default the channel's own reply)."""
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.refer)
    info = catalogue.snapshot(session).channels.get(channel)
    if info is None:
        raise InvalidInput(
            f"转办渠道“{channel}”不存在或已停用",
            code="unknown_channel",
            message_en=f"unknown or inactive channel {channel!r}",
            extra={"field": "channel"},
        )
    reply = (reply or "").strip() or info.reply_zh
    apply(
        session,
        case,
        A.refer,
        actor=actor,
        now=now,
        note=reply,
        data={"channel": channel, "reply": reply},
        changes={"channel_code": channel},
    )
    return case


def void_case(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str) -> Case:
    case = get_case(session, case_id, for_update=True)
    reason = require_text(A.void, "reason", reason)
    apply(session, case, A.void, actor=actor, now=now, note=reason)
    return case


def rate_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, rating: int, comment: str = ""
) -> Case:
    low, high = RATING_SCALE
    if isinstance(rating, bool) or not isinstance(rating, int) or not low <= rating <= high:
        raise InvalidInput(
            f"评分须为 {low} 到 {high} 的整数",
            code="invalid_rating",
            message_en=f"rating must be an integer from {low} to {high}",
            extra={"field": "rating"},
        )
    case = get_case(session, case_id, for_update=True)
    check(actor, case, A.rate)
    if case.rating is not None:
        raise Conflict("该案件已评价", code="already_rated", message_en="already rated")
    comment = (comment or "").strip()
    apply(
        session,
        case,
        A.rate,
        actor=actor,
        now=now,
        note=comment,
        data={"rating": rating},
        changes={"rating": rating, "rating_comment": comment or None},
    )
    return case


def supervise(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    case_id: int,
    action: CaseAction,
    note: str = "",
) -> Case:
    """督办 (`urge`) or 提级 (`escalate`): a supervisor's event on a case; who may take it and
    who is told come from the registry. The deadline sweep takes the same actions itself."""
    if action not in (A.urge, A.escalate):
        raise ValueError(f"not a supervision action: {action}")
    case = get_case(session, case_id, for_update=True)
    apply(session, case, action, actor=actor, now=now, note=note)
    return case


def instruct_case(
    session: Session, *, actor: Actor, now: datetime, case_id: int, note: str
) -> Case:
    """批示: a leader's written instruction on an open case, on its (staff) timeline; the
    registry tells the unit the case is dispatched to."""
    case = get_case(session, case_id, for_update=True)
    note = require_text(A.instruct, "note", note)
    apply(session, case, A.instruct, actor=actor, now=now, note=note)
    return case
