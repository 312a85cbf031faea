"""API keys of other systems (12345 platform, Open311 clients) run by an admin: listed by name
and prefix (the secret is shown once, when the key is made, and only its digest is kept),
created and revoked, each audited without the secret.

A key is checked by `identity.service.api_key_actor`, which remembers a valid key for 30 s:
a revocation takes effect at once in this process and within that time in the others.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.admin import audit
from urbanops.admin.access import require_admin
from urbanops.core.errors import Conflict, NotFound
from urbanops.identity import service as identity
from urbanops.identity.models import ApiKey
from urbanops.identity.roles import Actor


def list_keys(session: Session, *, actor: Actor) -> list[ApiKey]:
    """Every key, the newest first (revoked ones too, marked)."""
    require_admin(actor)
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def create_key(session: Session, *, actor: Actor, now: datetime, name: str) -> tuple[ApiKey, str]:
    """A new key and its secret, which is never shown again."""
    require_admin(actor)
    row, secret = identity.create_api_key(session, name)
    row.created_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="api_key",
        key=row.id,
        change="create",
        after={"name": row.name, "prefix": row.prefix},
    )
    return row, secret


def revoke_key(session: Session, *, actor: Actor, now: datetime, key_id: int) -> ApiKey:
    require_admin(actor)
    row = session.get(ApiKey, key_id, with_for_update=True)
    if row is None:
        raise NotFound("API 密钥不存在", code="api_key_not_found", message_en="no such API key")
    if row.revoked_at is not None:
        raise Conflict(
            "该密钥已吊销", code="api_key_revoked", message_en="this key is already revoked"
        )
    row.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="api_key",
        key=row.id,
        change="revoke",
        before={"name": row.name, "revoked": False},
        after={"revoked": True},
    )
    identity.forget_api_key(row.id)
    return row
