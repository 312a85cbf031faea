"""Who may run the administration: admins only (and the system, for the CLI)."""

from __future__ import annotations

from urbanops.core.errors import PermissionDenied
from urbanops.identity.roles import Actor, ActorKind, Role


def require_admin(actor: Actor) -> None:
    """Refuse (403) anyone but an admin, before anything is read or written."""
    if actor.kind is ActorKind.system or (
        actor.kind is ActorKind.staff and Role.admin in actor.roles
    ):
        return
    raise PermissionDenied(
        "只有系统管理员可以进行管理操作",
        code="admin_only",
        message_en="only an admin may do this",
    )
