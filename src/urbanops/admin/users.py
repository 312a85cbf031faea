"""Staff accounts run by an admin: list and search, create, edit roles, unit and an area
chief's communities, disable and enable, reset a password.

Every change writes its audit entry in the same transaction; the entries and the answers
never hold a password or its hash. A reset gives a generated temporary password once and
marks the account `must_change_password`; tokens and page sessions issued before end at once
(as after a change of password, `identity.staff.change_password`). An admin may not disable
their own account or take away their own admin role, so that the city is never left without
anyone able to administer it by a slip of the hand.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import any_, delete, func, literal, or_, select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.admin.access import require_admin
from urbanops.areas.models import Community, Unit
from urbanops.cases.workflow import UNIT_SCOPED_ROLES
from urbanops.core.errors import Conflict, InvalidInput, NotFound
from urbanops.identity.models import StaffSession, User
from urbanops.identity.policy import check_password_policy
from urbanops.identity.roles import ROLE_LABELS, Actor, Role
from urbanops.identity.service import hash_password
from urbanops.notifications.models import StaffContact
from urbanops.notifications.service import set_staff_contact


def state(user: User) -> dict[str, Any]:
    """What the audit trail and the page show of an account (never its password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "unit_id": user.unit_id,
        "communities": sorted(user.communities or []),
        "grid_cells": sorted(user.grid_cells or []),
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
    }


def contact_state(session: Session, user_id: int) -> dict[str, Any]:
    """Where the account is reached off the platform, as the audit trail shows it."""
    contact = session.get(StaffContact, user_id)
    return {
        "phone": contact.phone if contact else None,
        "wecom_userid": contact.wecom_userid if contact else None,
    }


def contacts(session: Session, user_ids: Sequence[int]) -> dict[int, StaffContact]:
    """The contacts of these accounts (those that have one), by account id."""
    if not user_ids:
        return {}
    rows = session.scalars(select(StaffContact).where(StaffContact.user_id.in_(user_ids)))
    return {c.user_id: c for c in rows}


def get_user(session: Session, user_id: int, *, lock: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=lock)
    if user is None:
        raise NotFound("用户不存在", code="user_not_found", message_en="no such user")
    return user


def list_users(
    session: Session, *, actor: Actor, q: str = "", role: Role | None = None, limit: int = 200
) -> list[User]:
    """Accounts whose username or name contains `q` (of `role` when given), by username."""
    require_admin(actor)
    stmt = select(User).order_by(User.username).limit(limit)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if role is not None:
        stmt = stmt.where(literal(str(role)) == any_(User.roles))
    return list(session.scalars(stmt))


def _check_unit(session: Session, unit_id: int | None) -> None:
    if unit_id is None:
        return
    active = session.scalar(select(Unit.is_active).where(Unit.id == unit_id))
    if active is None:
        raise InvalidInput(
            f"处置单位（编号 {unit_id}）不存在",
            code="unknown_unit",
            message_en=f"unknown unit {unit_id}",
            extra={"field": "unit_id"},
        )
    if not active:
        raise InvalidInput(
            "该处置单位已停用，不能分配人员",
            code="unit_inactive",
            message_en="this unit is deactivated: no one can be assigned to it",
            extra={"field": "unit_id"},
        )


def _check_assignment(
    session: Session,
    roles: Sequence[Role],
    unit_id: int | None,
    communities: Sequence[str],
    *,
    new_unit: bool = True,
) -> None:
    """Roles, unit and communities that make sense together, checked before any write; an
    account keeping its unit may keep it after the unit was deactivated (`new_unit=False`)."""
    if not roles:
        raise InvalidInput(
            "请至少选择一个角色",
            code="no_role",
            message_en="choose at least one role",
            extra={"field": "roles"},
        )
    if new_unit:
        _check_unit(session, unit_id)
    # an area chief works a patch of communities, or else their unit's cases
    scoped = set(roles) & UNIT_SCOPED_ROLES
    if communities:
        scoped.discard(Role.area_chief)
    if scoped and unit_id is None:
        names = "、".join(ROLE_LABELS[r][0] for r in sorted(scoped))
        raise InvalidInput(
            f"{names}须属于一个处置单位"
            + ("（或为片长指定村（社区））" if Role.area_chief in scoped else ""),
            code="unit_required",
            message_en="handlers and unit managers belong to a unit; an area chief to a unit "
            "or a patch of communities",
            extra={"field": "unit_id"},
        )
    if communities and Role.area_chief not in roles:
        raise InvalidInput(
            "只有片长可以分配村（社区）",
            code="communities_for_area_chief",
            message_en="only an area chief is given communities",
            extra={"field": "communities"},
        )
    if communities:
        known = set(session.scalars(select(Community.code).where(Community.code.in_(communities))))
        unknown = sorted(set(communities) - known)
        if unknown:
            raise InvalidInput(
                f"村（社区）代码“{unknown[0]}”不存在",
                code="unknown_community",
                message_en=f"unknown community code {unknown[0]!r}",
                extra={"field": "communities", "unknown": unknown},
            )


def create_user(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    username: str,
    display_name: str,
    password: str,
    roles: Sequence[Role],
    unit_id: int | None = None,
    communities: Sequence[str] = (),
    must_change_password: bool = True,
) -> User:
    """A new account; the password must pass the policy (and is never recorded)."""
    require_admin(actor)
    _check_assignment(session, roles, unit_id, communities)
    check_password_policy(password, username=username)
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise Conflict(
            f"用户名“{username}”已存在",
            code="username_taken",
            message_en=f"the username {username!r} is taken",
            extra={"field": "username"},
        )
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=sorted({str(r) for r in roles}),
        unit_id=unit_id,
        communities=sorted(set(communities)),
        must_change_password=must_change_password,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="user",
        key=user.username,
        change="create",
        after=state(user),
    )
    return user


@dataclass(frozen=True)
class UserChanges:
    """The fields of an account to change; None: leave as it is."""

    display_name: str | None = None
    roles: Sequence[Role] | None = None
    unit_id: int | None = None
    clear_unit: bool = False
    communities: Sequence[str] | None = None
    is_active: bool | None = None
    phone: str | None = None  # "": no phone
    wecom_userid: str | None = None  # "": no enterprise WeChat id


def update_user(
    session: Session, *, actor: Actor, now: datetime, user_id: int, changes: UserChanges
) -> User:
    require_admin(actor)
    user = get_user(session, user_id, lock=True)
    before = {**state(user), **contact_state(session, user.id)}
    roles = list(changes.roles) if changes.roles is not None else [Role(r) for r in user.roles]
    unit_id = None if changes.clear_unit else (changes.unit_id or user.unit_id)
    communities = (
        list(changes.communities) if changes.communities is not None else list(user.communities)
    )
    grid_cells = list(user.grid_cells or [])
    if Role.area_chief not in roles:
        # no longer an area chief: the patch goes with the role
        communities, grid_cells = [], []
    if user.id == actor.id:
        if changes.is_active is False:
            raise Conflict(
                "不能停用自己的账号",
                code="cannot_disable_self",
                message_en="you may not disable your own account",
            )
        if Role.admin not in roles:
            raise Conflict(
                "不能取消自己的管理员角色",
                code="cannot_drop_own_admin",
                message_en="you may not take away your own admin role",
            )
    _check_assignment(session, roles, unit_id, communities, new_unit=unit_id != user.unit_id)
    if changes.display_name is not None:
        user.display_name = changes.display_name
    user.roles = sorted({str(r) for r in roles})
    user.unit_id = unit_id
    user.communities = sorted(set(communities))
    user.grid_cells = sorted(set(grid_cells))
    if changes.is_active is not None:
        user.is_active = changes.is_active
        if not changes.is_active:
            session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    if changes.phone is not None or changes.wecom_userid is not None:
        kept = contact_state(session, user.id)
        set_staff_contact(
            session,
            user_id=user.id,
            phone=kept["phone"] if changes.phone is None else changes.phone,
            wecom_userid=kept["wecom_userid"]
            if changes.wecom_userid is None
            else changes.wecom_userid,
            now=now,
        )
    session.flush()
    old, new = audit.changed(before, {**state(user), **contact_state(session, user.id)})
    if new:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="user",
            key=user.username,
            change="update",
            before=old,
            after=new,
        )
    return user


def temporary_password() -> str:
    """A random password that passes the policy (upper, lower, digit and symbol)."""
    while True:
        candidate = secrets.token_urlsafe(12) + secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
        candidate += secrets.choice("abcdefghijkmnopqrstuvwxyz") + secrets.choice("23456789") + "#"
        try:
            check_password_policy(candidate)
        except InvalidInput:
            continue
        return candidate


def reset_password(session: Session, *, actor: Actor, now: datetime, user_id: int) -> str:
    """Give `user_id` a generated temporary password (returned once, never stored in clear)
    that must be changed at the next sign-in; every token and session of the account ends."""
    require_admin(actor)
    user = get_user(session, user_id, lock=True)
    password = temporary_password()
    user.password_hash = hash_password(password)
    # whole seconds, as `identity.staff.change_password`: tokens of this second are older
    user.password_changed_at = now.replace(microsecond=0) + timedelta(seconds=1)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="user",
        key=user.username,
        change="reset_password",
        after={"must_change_password": True},
    )
    return password
