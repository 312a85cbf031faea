"""Who may take an action on a case: the registry's roles, the reporter's own actions, and the
scope of unit roles (their unit's cases; an area chief's also those in their communities).
Checked by the apply step before anything is written."""

from __future__ import annotations

from urbanops.cases.models import Case
from urbanops.cases.workflow import REGISTRY, UNIT_SCOPED_ROLES, CaseAction
from urbanops.core.errors import PermissionDenied
from urbanops.identity.roles import Actor, ActorKind, Role


def authorize(actor: Actor, case: Case, action: CaseAction) -> None:
    """`PermissionDenied` unless `actor` may take `action` on `case` (whatever its status)."""
    spec = REGISTRY[action]
    if actor.kind is ActorKind.system or spec.anyone:
        return
    if actor.kind is ActorKind.citizen:
        if spec.citizen and case.reporter_citizen_id == actor.id:
            return
        raise PermissionDenied(
            "只有上报人本人可以评价或申请重新处置",
            code="not_reporter",
            message_en="only the reporter may do this",
        )
    if Role.admin in actor.roles and actor.kind is ActorKind.staff:
        return
    mine = actor.roles & spec.roles
    if actor.kind is not ActorKind.staff or not mine:
        raise PermissionDenied(
            "您的角色无权执行此操作",
            code="role_not_allowed",
            message_en="your role may not do this",
        )
    if mine <= UNIT_SCOPED_ROLES and not _within(actor, mine, case):
        raise PermissionDenied(
            "该案件不属于您所在的单位或片区",
            code="outside_unit_scope",
            message_en="the case is neither your unit's nor in your communities",
        )


def _within(actor: Actor, roles: frozenset[Role], case: Case) -> bool:
    """Whether a case lies in the reach of `actor`'s unit roles `roles`: their unit's, or for
    an area chief with a patch, the patch's."""
    patch_only = roles == {Role.area_chief} and actor.patch
    if not patch_only and actor.unit_id is not None and case.unit_id == actor.unit_id:
        return True
    if Role.area_chief not in roles:
        return False
    return (case.community_code is not None and case.community_code in actor.communities) or (
        case.grid_cell_code is not None and case.grid_cell_code in actor.grid_cells
    )


def may(actor: Actor, case: Case, action: CaseAction) -> bool:
    """Whether `actor`'s roles and unit allow `action` on `case` (what a console offers)."""
    try:
        authorize(actor, case, action)
    except PermissionDenied:
        return False
    return True
