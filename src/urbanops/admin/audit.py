"""The audit trail of administrative changes: one helper writes an `audit_entry` row in the
transaction of the change it records (so a change and its entry commit or vanish together),
and one query lists them for the audit page.

An entry says who (the account and its name at the time), when, which entity and key, what
kind of change (`create`, `update`, `delete` or an action such as `revoke`) and the fields
before → after. Secrets never enter it: fields named in `SECRET_FIELDS` are dropped whatever
the caller passes. The table refuses updates and deletes (migration 0009).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.identity.models import AuditEntry
from urbanops.identity.roles import Actor, ActorKind

SECRET_FIELDS = frozenset({"password", "password_hash", "key_hash", "secret", "token"})


def _clean(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in SECRET_FIELDS}


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as (before, after), for an `update` entry."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    entity: str,
    key: object,
    change: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the session's transaction (flushed with the change it records)."""
    entry = AuditEntry(
        at=now,
        user_id=actor.id if actor.kind is ActorKind.staff else None,
        actor=(actor.label or str(actor.kind))[:64],
        entity=entity,
        entity_key=str(key)[:64],
        change=change,
        before=_clean(before),
        after=_clean(after),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    entity_key: str | None = None
    user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # paging: entries older than this one
    limit: int = 50


def entries(session: Session, f: AuditFilter) -> list[AuditEntry]:
    """The newest entries first that match every filter given (one statement)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(f.limit)
    if f.entity:
        stmt = stmt.where(AuditEntry.entity == f.entity)
    if f.entity_key:
        stmt = stmt.where(AuditEntry.entity_key == f.entity_key)
    if f.user_id:
        stmt = stmt.where(AuditEntry.user_id == f.user_id)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at < f.until)
    if f.before_id:
        stmt = stmt.where(AuditEntry.id < f.before_id)
    return list(session.scalars(stmt))
