"""The channels other than urban management (转办渠道): listed for staff, edited by admins.

A channel's names and reply are what a clerk picks and what the citizen is told when a case
is referred there (`cases.verbs.refer_case`); a deactivated channel is no longer offered (the
catalogue snapshot holds active channels only) but keeps its row, for the cases referred to it
before. An edit drops the cached snapshot now and again when its transaction ends, so that no
process keeps a channel read before the edit committed, or one that was rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.catalogue import service as catalogue
from urbanops.catalogue.models import Channel
from urbanops.core.clock import utcnow
from urbanops.core.errors import InvalidInput, NotFound, PermissionDenied
from urbanops.core.web import FIELD_LABELS
from urbanops.identity.roles import Actor, ActorKind, Role

#: What an admin may change, with the field in words (zh, en), as validation errors name it.
EDITABLE: Mapping[str, tuple[str, str]] = {
    name: FIELD_LABELS[name] for name in ("name_zh", "name_en", "reply_zh", "reply_en", "is_active")
}


def require_staff_role(actor: Actor) -> None:
    """Refuse (403) an account without any role (a permission alone is not a role)."""
    if actor.kind is ActorKind.system or actor.roles - {Role.reveal_phone}:
        return
    raise PermissionDenied(
        "您的账号尚未分配角色，不能查看转办渠道",
        code="no_role",
        message_en="your account has no role: it may not see the channels",
    )


def require_admin(actor: Actor) -> None:
    if actor.kind is ActorKind.system or Role.admin in actor.roles:
        return
    raise PermissionDenied(
        "只有系统管理员可以修改转办渠道",
        code="admin_only",
        message_en="only an admin may edit a channel",
    )


def list_channels(session: Session, *, actor: Actor) -> list[Channel]:
    """Every channel, active or not, in the order clerks are offered them."""
    require_staff_role(actor)
    return list(session.scalars(select(Channel).order_by(Channel.position, Channel.code)))


def update_channel(
    session: Session,
    *,
    actor: Actor,
    code: str,
    changes: Mapping[str, object],
    now: datetime | None = None,
) -> Channel:
    """Change a channel's names, replies or whether it is offered; a blank name or reply (or
    a null) is refused with the field named, and nothing is written. The change is audited
    (`admin.audit`) at `now` (the current time when not given)."""
    require_admin(actor)
    channel = session.get(Channel, code, with_for_update=True)
    if channel is None:
        raise NotFound(
            f"转办渠道“{code}”不存在",
            code="channel_not_found",
            message_en=f"no channel {code!r}",
        )
    values: dict[str, object] = {}
    for name, value in changes.items():
        label_zh, label_en = EDITABLE[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidInput(
                f"请填写{label_zh}",
                code="missing_field",
                message_en=f"{name} ({label_en}) may not be blank",
                extra={"field": name},
            )
        values[name] = value.strip() if isinstance(value, str) else value
    before = {name: getattr(channel, name) for name in values}
    for name, value in values.items():
        setattr(channel, name, value)
    session.flush()
    old, new = audit.changed(before, values)
    if new:
        audit.record(
            session,
            actor=actor,
            now=now or utcnow(),
            entity="channel",
            key=code,
            change="update",
            before=old,
            after=new,
        )
    channels_changed(session)
    return channel


def channels_changed(session: Session) -> None:
    """Drop the cached catalogue snapshot now and when `session` ends its transaction, or the
    outer transaction it joined does (a test's, rolled back on the connection: the session
    never hears of it, and a snapshot read inside it would outlive the rows it shows)."""
    catalogue.invalidate()
    for name in ("after_commit", "after_rollback"):
        if not event.contains(session, name, _invalidate):
            event.listen(session, name, _invalidate, once=True)
    connection = session.connection()
    if not event.contains(connection, "rollback", _invalidate):
        event.listen(connection, "rollback", _invalidate, once=True)


def _invalidate(_target: object) -> None:
    catalogue.invalidate()
