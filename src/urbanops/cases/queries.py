"""Reading cases: what each caller may see, and details (lists: `cases.listing`).

A staff account sees what its roles allow: city-wide roles (intake, dispatch, supervision,
leaders) every case; unit roles (handler, unit manager) only the cases of the account's unit;
an area chief (片长) the cases in their patch — communities (`app_user.communities`) and grid
cells (`app_user.grid_cells`) — or, without a patch, their unit's; an account without roles, or with a unit role and neither
unit nor communities, sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from urbanops.areas import service as areas
from urbanops.cases.models import Case, CaseEvent, ExtensionRequest
from urbanops.cases.permissions import may
from urbanops.cases.schemas import CaseDetail, CaseReportOut, EventOut, PendingExtensionOut
from urbanops.cases.workflow import (
    API_ACTIONS,
    STATUS_LABELS_ZH,
    UNIT_SCOPED_ROLES,
    CaseAction,
    CaseStatus,
    allowed_actions,
    label,
)
from urbanops.catalogue import service as catalogue
from urbanops.catalogue.models import Channel
from urbanops.core.errors import NotFound, PermissionDenied
from urbanops.core.geo import Datum, from_wgs84
from urbanops.identity import citizens
from urbanops.identity.citizens import mask_phone
from urbanops.identity.models import Citizen
from urbanops.identity.roles import Actor, ActorKind, Role
from urbanops.reports.models import Report
from urbanops.reports.photos import media_urls

# every role but a permission: `reveal_phone` alone lets an account see no case
READING_ROLES = frozenset(Role) - {Role.reveal_phone}


def suspected_out_of_remit() -> ColumnElement[bool]:
    """A case still in triage whose text the model took for another channel's matter."""
    return and_(Case.suspected_channel.is_not(None), Case.status == str(CaseStatus.reported))


@dataclass(frozen=True)
class CaseScope:
    """The cases a caller may read: every case, or those of one unit and / or of some
    communities, or none."""

    everything: bool = False
    unit_id: int | None = None
    communities: frozenset[str] = frozenset()
    grid_cells: frozenset[str] = frozenset()

    @property
    def nothing(self) -> bool:
        return (
            not self.everything
            and self.unit_id is None
            and not self.communities
            and not self.grid_cells
        )

    def allows(self, case: Case) -> bool:
        return (
            self.everything
            or (self.unit_id is not None and case.unit_id == self.unit_id)
            or (case.community_code is not None and case.community_code in self.communities)
            or (case.grid_cell_code is not None and case.grid_cell_code in self.grid_cells)
        )

    def condition(self) -> ColumnElement[bool] | None:
        """The SQL condition of this scope on `case` (None: every case; check `nothing` first)."""
        if self.everything:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.unit_id is not None:
            parts.append(Case.unit_id == self.unit_id)
        if self.communities:
            parts.append(Case.community_code.in_(sorted(self.communities)))
        if self.grid_cells:
            parts.append(Case.grid_cell_code.in_(sorted(self.grid_cells)))
        return or_(*parts) if parts else false()


EVERYTHING = CaseScope(everything=True)
NOTHING = CaseScope()


def case_scope(actor: Actor) -> CaseScope:
    if actor.kind is ActorKind.system:
        return EVERYTHING
    if actor.kind is not ActorKind.staff:
        return NOTHING
    if Role.admin in actor.roles:
        return EVERYTHING
    roles = actor.roles & READING_ROLES
    if not roles:
        return NOTHING
    if roles <= UNIT_SCOPED_ROLES:
        if Role.area_chief not in roles or not actor.patch:
            return CaseScope(unit_id=actor.unit_id)
        # a 片长 with a patch sees the patch; the whole unit only through another unit role
        whole_unit = bool(roles - {Role.area_chief})
        return CaseScope(
            unit_id=actor.unit_id if whole_unit else None,
            communities=actor.communities,
            grid_cells=actor.grid_cells,
        )
    return EVERYTHING


def require_role(actor: Actor) -> None:
    """Refuse (403) a staff account without any role: it may neither see nor file cases."""
    if actor.kind is ActorKind.staff and not actor.roles & READING_ROLES:
        raise PermissionDenied(
            "您的账号尚未分配角色，不能查看或上报案件",
            code="no_role",
            message_en="your account has no role: it may not see or report cases",
        )


def ensure_visible(actor: Actor, case: Case) -> None:
    """Refuse (403) a case outside the caller's scope, saying why."""
    if case_scope(actor).allows(case):
        return
    require_role(actor)
    raise PermissionDenied(
        "该案件不属于您所在的单位或片区",
        code="outside_unit_scope",
        message_en="the case is neither your unit's nor in your communities",
    )


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    """The case, locked for the rest of the transaction when it is to be changed."""
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound(f"案件 {case_id} 不存在", code="case_not_found", message_en="case not found")
    return case


@dataclass(frozen=True)
class Timeline:
    case: Case
    events: list[CaseEvent]


def case_timeline(session: Session, case_id: int, *, public_only: bool = False) -> Timeline:
    """A case and its timeline, oldest first (only the public rows, for citizens)."""
    case = get_case(session, case_id)
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return Timeline(case, list(session.scalars(stmt)))


def case_detail(session: Session, actor: Actor, case_id: int) -> CaseDetail:
    """A case as staff see it: names, the timeline (photo URLs), and the actions `actor` may
    take on it now (the registry's table, its role and unit); 403 outside its scope."""
    timeline = case_timeline(session, case_id)
    case = timeline.case
    ensure_visible(actor, case)
    detail = CaseDetail.model_validate(case)
    detail.status_label = STATUS_LABELS_ZH[CaseStatus(case.status)]
    matters = catalogue.snapshot(session).matters
    if case.matter_code and case.matter_code in matters:
        detail.matter_name = matters[case.matter_code].name
    detail.unit_name = areas.unit_name(session, case.unit_id) if case.unit_id else None
    detail.town_name = areas.town_name(session, case.town_code) if case.town_code else None
    names = channel_names(session, case.suspected_channel, case.channel_code)
    if case.suspected_channel in names:
        detail.suspected_channel_name_zh, detail.suspected_channel_name_en = names[
            case.suspected_channel
        ]
    if case.channel_code in names:
        detail.channel_name_zh, detail.channel_name_en = names[case.channel_code]
    detail.allowed_actions = [str(a) for a in actions_for(session, actor, case)]
    if (pending := pending_extension(session, case.id)) is not None:
        detail.pending_extension = PendingExtensionOut.model_validate(pending)
    detail.map_points = {
        str(d): from_wgs84(case.lat, case.lon, d) for d in (Datum.gcj02, Datum.bd09)
    }
    detail.timeline = []
    for e in timeline.events:
        event = EventOut.model_validate(e)
        event.action_label = label(e.action)
        event.attachments = list(media_urls(e.attachments))  # photo ids kept, URLs shown
        event.before_photos = media_urls(before_photo_refs(e))
        detail.timeline.append(event)
    return detail


def before_photo_refs(event: CaseEvent) -> list[Any]:
    """The photos of a timeline row that show the spot before the work (`submit_result`'s
    `before_photos`); its other attachments are the result."""
    refs = (event.data or {}).get("before_photos")
    return list(refs) if isinstance(refs, list) else []


def after_photo_refs(event: CaseEvent) -> list[Any]:
    """A timeline row's attachments but its before photos."""
    before = set(before_photo_refs(event))
    return [ref for ref in event.attachments or () if ref not in before]


# actions that need an extension request pending, and the one that needs none pending
DECIDE_EXTENSION = frozenset({CaseAction.approve_extension, CaseAction.reject_extension})


def pending_extension(session: Session, case_id: int) -> ExtensionRequest | None:
    """The case's extension request awaiting a decision (there is at most one)."""
    return session.scalars(
        select(ExtensionRequest).where(
            ExtensionRequest.case_id == case_id, ExtensionRequest.status == "pending"
        )
    ).one_or_none()


def actions_for(session: Session, actor: Actor, case: Case) -> list[CaseAction]:
    """What `actor` may do on `case` now: the registry's table for its status, the roles and
    unit scope checked by the apply step (`permissions.authorize`), and whether an extension
    request is pending (批准/驳回延期 only then, 申请延期 only when none is)."""
    actions = [
        a
        for a in allowed_actions(CaseStatus(case.status))
        if a in API_ACTIONS and may(actor, case, a)
    ]
    if not any(a in DECIDE_EXTENSION or a is CaseAction.request_extension for a in actions):
        return actions
    pending = pending_extension(session, case.id) is not None
    return [
        a
        for a in actions
        if (a not in DECIDE_EXTENSION or pending)
        and (a is not CaseAction.request_extension or not pending)
    ]


def channel_names(session: Session, *codes: str | None) -> dict[str, tuple[str, str]]:
    """The names (zh, en) of channels by code: active ones from the catalogue snapshot, one
    since deactivated (a case referred there before) from its row."""
    wanted = {c for c in codes if c}
    active = catalogue.snapshot(session).channels
    out = {c: (active[c].name_zh, active[c].name_en) for c in wanted if c in active}
    if missing := wanted - out.keys():
        rows = session.execute(
            select(Channel.code, Channel.name_zh, Channel.name_en).where(Channel.code.in_(missing))
        )
        out.update({code: (zh, en) for code, zh, en in rows})
    return out


def case_reports(session: Session, actor: Actor, case_id: int) -> list[CaseReportOut]:
    """The reports of a case, first one first, with the reporters' phones masked."""
    ensure_visible(actor, get_case(session, case_id))
    rows = session.execute(
        select(Report, Citizen.phone)
        .outerjoin(Citizen, Citizen.id == Report.reporter_citizen_id)
        .where(Report.case_id == case_id)
        .order_by(Report.id)
    ).all()
    return [
        CaseReportOut(
            id=r.id,
            source=r.source,
            submitted_at=r.submitted_at,
            description=r.description,
            is_supporter=r.is_supporter,
            reporter_name=r.reporter_name,
            phone_masked=mask_phone(phone or r.reporter_phone),
            citizen_id=r.reporter_citizen_id,
            media=media_urls(r.media),
        )
        for r, phone in rows
    ]


def reveal_reporter_phone(
    session: Session, actor: Actor, *, now: datetime, case_id: int, citizen_id: int, reason: str
) -> str:
    """The full phone number of a citizen who reported `case_id`, for a staff member with the
    `reveal_phone` permission who may read that case; logged with the case and the reason.
    Without the permission, or outside the caller's scope, 403; a case that does not exist, or
    a citizen without a report on it, 404; nothing is logged then."""
    citizens.require_reveal(actor)
    ensure_visible(actor, get_case(session, case_id))
    reported = session.scalar(
        select(Report.id)
        .where(Report.case_id == case_id, Report.reporter_citizen_id == citizen_id)
        .limit(1)
    )
    if reported is None:
        raise NotFound(
            "该市民没有上报过此案件",
            code="not_a_reporter",
            message_en="the citizen has not reported this case",
        )
    return citizens.reveal_phone(
        session, actor=actor, now=now, citizen_id=citizen_id, case_id=case_id, reason=reason
    )
