"""Admin routes for people and access: staff accounts, API keys, the audit trail, and the
choices and counts the admin pages show (admins only; every other caller gets 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import ColumnElement, ScalarSelect, func, select

from urbanops.admin import api_keys, audit, stations, units, users
from urbanops.admin.access import require_admin
from urbanops.admin.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    AuditOut,
    Choice,
    CommunityOut,
    OptionsOut,
    PasswordResetOut,
    SummaryOut,
    UserIn,
    UserOut,
    UserPatch,
)
from urbanops.areas.models import Community, Responsibility, ServiceStation, Town, Unit
from urbanops.catalogue.models import MatterClass, TimeLimit
from urbanops.core.db import Base
from urbanops.core.types import IntId, Line, SaneDatetime
from urbanops.core.web import PROBLEM_RESPONSES, NowDep, SessionDep
from urbanops.identity.deps import StaffDep
from urbanops.identity.models import ApiKey, AuditEntry, User
from urbanops.identity.roles import ROLE_LABELS, Role
from urbanops.notifications.models import StaffContact

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=PROBLEM_RESPONSES)

UserId = Annotated[IntId, Path(description="the account's id")]


@router.get("/options", response_model=OptionsOut)
def options(session: SessionDep, actor: StaffDep) -> OptionsOut:
    """The choices of the admin pages, in words: roles, unit kinds, facilities, towns, classes."""
    require_admin(actor)
    return OptionsOut(
        roles=[Choice(code=r, label=zh, label_en=en) for r, (zh, en) in ROLE_LABELS.items()],
        unit_kinds=[
            Choice(code=k, label=zh, label_en=en) for k, (zh, en) in units.KIND_LABELS.items()
        ],
        facilities=[
            Choice(code=k, label=zh, label_en=en) for k, (zh, en) in stations.FACILITIES.items()
        ],
        towns=[
            Choice(code=c, label=n, label_en=c)
            for c, n in session.execute(select(Town.code, Town.name).order_by(Town.code))
        ],
        matter_classes=[
            Choice(code=c, label=n, label_en=c)
            for c, n in session.execute(
                select(MatterClass.code, MatterClass.name).order_by(MatterClass.code)
            )
        ],
    )


@router.get("/summary", response_model=SummaryOut)
def summary(session: SessionDep, actor: StaffDep) -> SummaryOut:
    """What the administration holds, counted for the landing page (one statement)."""
    require_admin(actor)

    def count(table: type[Base], *where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    row = session.execute(
        select(
            count(User),
            count(User, User.is_active.is_(True)),
            count(Unit),
            count(Unit, Unit.is_active.is_(True)),
            count(Responsibility),
            select(func.count(func.distinct(TimeLimit.matter_code))).scalar_subquery(),
            count(ServiceStation),
            count(ServiceStation, ServiceStation.is_demo.is_(True)),
            count(ApiKey, ApiKey.revoked_at.is_(None)),
            count(AuditEntry),
        )
    ).one()
    return SummaryOut(
        users=row[0],
        active_users=row[1],
        units=row[2],
        active_units=row[3],
        rules=row[4],
        matters_with_limits=row[5],
        stations=row[6],
        demo_stations=row[7],
        api_keys=row[8],
        audit_entries=row[9],
    )


# --- users -----------------------------------------------------------------------------------


def _user(user: User, now: datetime, contact: StaffContact | None = None) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=sorted(user.roles),
        unit_id=user.unit_id,
        communities=sorted(user.communities or []),
        is_active=user.is_active,
        must_change_password=user.must_change_password,
        locked=user.locked_until is not None and user.locked_until > now,
        created_at=user.created_at,
        phone=contact.phone if contact else None,
        wecom_userid=contact.wecom_userid if contact else None,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(
    session: SessionDep,
    actor: StaffDep,
    now: NowDep,
    q: Annotated[Line, Query(max_length=64, description="part of the username or name")] = "",
    role: Role | None = None,
) -> list[UserOut]:
    found = users.list_users(session, actor=actor, q=q.strip(), role=role)
    reached = users.contacts(session, [u.id for u in found])
    return [_user(u, now, reached.get(u.id)) for u in found]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(session: SessionDep, actor: StaffDep, now: NowDep, body: UserIn) -> UserOut:
    """A new account; the password must pass the policy (422 `weak_password` says why)."""
    user = users.create_user(
        session,
        actor=actor,
        now=now,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        unit_id=body.unit_id,
        communities=body.communities,
        must_change_password=body.must_change_password,
    )
    return _user(user, now)


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    session: SessionDep, actor: StaffDep, now: NowDep, user_id: UserId, body: UserPatch
) -> UserOut:
    """Change an account's name, roles, unit, communities, whether it may sign in, or where it
    is reached off the platform (phone for SMS, 企业微信 UserID; empty or null: not that way)."""
    sent = body.model_fields_set
    changes = users.UserChanges(
        display_name=body.display_name,
        roles=body.roles,
        unit_id=body.unit_id,
        clear_unit="unit_id" in sent and body.unit_id is None,
        communities=body.communities,
        is_active=body.is_active,
        phone=(body.phone or "") if "phone" in sent else None,
        wecom_userid=(body.wecom_userid or "") if "wecom_userid" in sent else None,
    )
    user = users.update_user(session, actor=actor, now=now, user_id=user_id, changes=changes)
    return _user(user, now, users.contacts(session, [user.id]).get(user.id))


@router.post("/users/{user_id}/reset-password", response_model=PasswordResetOut)
def reset_password(
    session: SessionDep, actor: StaffDep, now: NowDep, user_id: UserId
) -> PasswordResetOut:
    """A temporary password, shown once; the account must change it at the next sign-in."""
    password = users.reset_password(session, actor=actor, now=now, user_id=user_id)
    return PasswordResetOut(user_id=user_id, temporary_password=password)


@router.get("/communities", response_model=list[CommunityOut])
def communities(
    session: SessionDep,
    actor: StaffDep,
    town_code: Annotated[Line | None, Query(max_length=9)] = None,
    codes: Annotated[Line | None, Query(max_length=6500, description="comma-separated")] = None,
) -> list[CommunityOut]:
    """The communities of a town (or those named in `codes`), for an area chief's assignment."""
    require_admin(actor)
    stmt = select(Community.code, Community.name, Community.town_code).order_by(Community.code)
    if town_code:
        stmt = stmt.where(Community.town_code == town_code)
    if codes:
        stmt = stmt.where(Community.code.in_([c.strip() for c in codes.split(",")][:500]))
    if not town_code and not codes:
        return []
    return [CommunityOut(code=c, name=n, town_code=t) for c, n, t in session.execute(stmt)]


# --- API keys --------------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_keys(session: SessionDep, actor: StaffDep) -> list[ApiKeyOut]:
    return [
        ApiKeyOut(
            id=k.id, name=k.name, prefix=k.prefix, created_at=k.created_at, revoked_at=k.revoked_at
        )
        for k in api_keys.list_keys(session, actor=actor)
    ]


@router.post("/api-keys", response_model=ApiKeyCreatedOut, status_code=201)
def create_key(
    session: SessionDep, actor: StaffDep, now: NowDep, body: ApiKeyIn
) -> ApiKeyCreatedOut:
    """A new key for another system; its secret is in this answer and never again."""
    row, secret = api_keys.create_key(session, actor=actor, now=now, name=body.name)
    return ApiKeyCreatedOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=None,
        secret=secret,
    )


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut)
def revoke_key(
    session: SessionDep,
    actor: StaffDep,
    now: NowDep,
    key_id: Annotated[IntId, Path(description="the key's id")],
) -> ApiKeyOut:
    row = api_keys.revoke_key(session, actor=actor, now=now, key_id=key_id)
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


# --- the audit trail -------------------------------------------------------------------------


@router.get("/audit", response_model=list[AuditOut])
def audit_entries(
    session: SessionDep,
    actor: StaffDep,
    entity: Annotated[Line | None, Query(max_length=32)] = None,
    entity_key: Annotated[Line | None, Query(max_length=64)] = None,
    user_id: IntId | None = None,
    since: SaneDatetime | None = None,
    until: SaneDatetime | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AuditOut]:
    """Audit entries, newest first; page with `before_id` (the last id of the previous page)."""
    require_admin(actor)
    found = audit.entries(
        session,
        audit.AuditFilter(
            entity=entity or None,
            entity_key=entity_key or None,
            user_id=user_id,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        ),
    )
    return [
        AuditOut(
            id=e.id,
            at=e.at,
            user_id=e.user_id,
            actor=e.actor,
            entity=e.entity,
            entity_key=e.entity_key,
            change=e.change,
            before=e.before,
            after=e.after,
        )
        for e in found
    ]
