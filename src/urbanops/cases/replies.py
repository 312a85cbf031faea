"""Reply templates (常用回复): words an operator inserts into an action's note, kept per matter
and status. Everyone who works cases reads them; the shift chief and admins write them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from urbanops.cases.models import ReplyTemplate
from urbanops.cases.queries import require_role
from urbanops.cases.workflow import CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core.errors import InvalidInput, NotFound, PermissionDenied
from urbanops.identity.roles import Actor, Role

WRITERS = (Role.shift_chief,)  # and admins


def templates_for(
    session: Session, actor: Actor, *, matter_code: str | None, status: str | None
) -> Sequence[ReplyTemplate]:
    """The templates that fit a case of `matter_code` in `status` (those for any matter or any
    status too): those of the matter first, then those of the status, then the general ones;
    every template when neither is given."""
    require_role(actor)
    stmt = select(ReplyTemplate)
    if matter_code is not None:
        stmt = stmt.where(
            or_(ReplyTemplate.matter_code.is_(None), ReplyTemplate.matter_code == matter_code)
        )
    if status is not None:
        stmt = stmt.where(or_(ReplyTemplate.status.is_(None), ReplyTemplate.status == status))
    order = (
        ReplyTemplate.matter_code.is_(None),
        ReplyTemplate.status.is_(None),
        ReplyTemplate.id,
    )
    return session.scalars(stmt.order_by(*order)).all()


def _may_write(actor: Actor) -> None:
    if not actor.has(*WRITERS):
        raise PermissionDenied(
            "只有值班长或管理员可以维护常用回复",
            code="role_not_allowed",
            message_en="only the shift chief or an admin may edit reply templates",
        )


def add_template(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    title: str,
    body: str,
    matter_code: str | None,
    status: str | None,
) -> ReplyTemplate:
    _may_write(actor)
    if matter_code is not None and matter_code not in catalogue.snapshot(session).matters:
        raise InvalidInput(
            f"管理事项 {matter_code} 不存在",
            code="unknown_matter",
            message_en=f"unknown matter {matter_code}",
            extra={"field": "matter_code"},
        )
    if status is not None and status not in CaseStatus.__members__:
        raise InvalidInput(
            f"未知状态“{status}”",
            code="unknown_status",
            message_en=f"unknown status {status!r}",
            extra={"field": "status"},
        )
    row = ReplyTemplate(
        matter_code=matter_code, status=status, title=title, body=body, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def remove_template(session: Session, actor: Actor, template_id: int) -> None:
    _may_write(actor)
    row = session.get(ReplyTemplate, template_id)
    if row is None:
        raise NotFound(
            "常用回复不存在", code="template_not_found", message_en="no such reply template"
        )
    session.delete(row)
