"""Saved views of the console's case list (常用筛选): a name and the list's query parameters,
kept per user on the server so that they follow the operator from desk to desk. A view holds
no case data, only what the operator chose; its filters are checked exactly as the list checks
its query (`cases.filters.case_filter`), so that a saved view always opens. A view marked
`shared` is shown, read-only, to the others of its owner's unit; only the owner changes or
removes it (anyone else is told it does not exist)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urbanops.cases.filters import case_filter
from urbanops.cases.models import SavedView
from urbanops.cases.queries import require_role
from urbanops.core.errors import Conflict, NotFound, PermissionDenied
from urbanops.identity.models import User
from urbanops.identity.roles import Actor, ActorKind

MAX_VIEWS = 50  # per user
NAME_MAX = 40


def _owner(actor: Actor) -> int:
    require_role(actor)
    if actor.kind is not ActorKind.staff or actor.id is None:
        raise PermissionDenied(
            "只有工作人员账号可以保存常用筛选",
            code="staff_only",
            message_en="only staff accounts keep saved views",
        )
    return actor.id


def check_filters(filters: Mapping[str, Any]) -> None:
    """Refuse (422, naming the parameter) filters the case list would refuse."""
    given = {k: v for k, v in filters.items() if k != "sort"}
    if "status" in given:
        given["status"] = [given["status"]]
    case_filter(**given)


def list_views(session: Session, actor: Actor) -> Sequence[tuple[SavedView, str]]:
    """The caller's views, and those the others of their unit share, with each owner's name;
    the caller's first, by name."""
    owner = _owner(actor)
    mine = SavedView.owner_id == owner
    seen = mine
    if actor.unit_id is not None:
        seen = or_(mine, SavedView.shared & (User.unit_id == actor.unit_id))
    stmt = (
        select(SavedView, User.display_name)
        .join(User, User.id == SavedView.owner_id)
        .where(seen)
        .order_by((SavedView.owner_id != owner), SavedView.name, SavedView.id)
    )
    return [(v, name) for v, name in session.execute(stmt).all()]


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"已有名为“{name}”的常用筛选",
        code="view_name_taken",
        message_en=f"a saved view named {name!r} exists",
        extra={"field": "name"},
    )


def _flush(session: Session, view: SavedView) -> None:
    """Write the view; a name another request took meanwhile is a 409, not a 500."""
    try:
        with session.begin_nested():
            session.add(view)
            session.flush()
    except IntegrityError:
        raise _name_taken(view.name) from None


def create_view(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    name: str,
    filters: dict[str, Any],
    shared: bool = False,
) -> SavedView:
    owner = _owner(actor)
    check_filters(filters)
    # one user's views are counted under a lock on the user, so that two saves cannot pass 50
    session.execute(select(User.id).where(User.id == owner).with_for_update())
    count = session.scalar(select(func.count()).where(SavedView.owner_id == owner)) or 0
    if count >= MAX_VIEWS:
        raise Conflict(
            f"每人最多保存 {MAX_VIEWS} 个常用筛选，请先删除不用的",
            code="too_many_views",
            message_en=f"at most {MAX_VIEWS} saved views per user: remove one first",
            extra={"limit": MAX_VIEWS},
        )
    taken = session.scalar(
        select(SavedView.id).where(SavedView.owner_id == owner, SavedView.name == name)
    )
    if taken is not None:
        raise _name_taken(name)
    view = SavedView(
        owner_id=owner, name=name, filters=filters, shared=shared, created_at=now, updated_at=now
    )
    _flush(session, view)
    return view


def _own(session: Session, actor: Actor, view_id: int) -> SavedView:
    owner = _owner(actor)
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != owner:
        raise NotFound("常用筛选不存在", code="view_not_found", message_en="no such saved view")
    return view


def update_view(
    session: Session,
    actor: Actor,
    view_id: int,
    *,
    now: datetime,
    name: str,
    filters: dict[str, Any],
    shared: bool = False,
) -> SavedView:
    view = _own(session, actor, view_id)
    check_filters(filters)
    if name != view.name:
        taken = session.scalar(
            select(SavedView.id).where(SavedView.owner_id == view.owner_id, SavedView.name == name)
        )
        if taken is not None:
            raise _name_taken(name)
    view.name, view.filters, view.shared, view.updated_at = name, filters, shared, now
    _flush(session, view)
    return view


def remove_view(session: Session, actor: Actor, view_id: int) -> None:
    session.delete(_own(session, actor, view_id))
    session.flush()
