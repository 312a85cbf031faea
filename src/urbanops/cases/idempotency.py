"""Staff actions sent with an `Idempotency-Key` header: the same key again gets the same answer
and takes no second action.

A phone that loses its connection after sending an action cannot know whether it was taken; its
outbox sends it again with the same key. The key is claimed with an insert *before* the action
runs: a concurrent request with the same key waits on that insert until the first commits, then
reads its answer (or, if the first was refused and rolled back, takes the action itself). A key
is the caller's own (qualified by who sent it) and belongs to one case, action and body: used
for another, it is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.cases.models import ActionRequest
from urbanops.cases.queries import get_case
from urbanops.core.errors import InvalidInput
from urbanops.identity.roles import Actor

T = TypeVar("T", bound=BaseModel)
KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


def _fingerprint(case_id: int, action: str, arguments: dict[str, Any]) -> str:
    body = json.dumps([case_id, action, arguments], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _check_key(key: str) -> None:
    if not KEY.match(key):
        raise InvalidInput(
            "Idempotency-Key 须为 8 到 100 个字母、数字或 . _ : -",
            code="invalid_idempotency_key",
            message_en="Idempotency-Key must be 8 to 100 letters, digits or . _ : -",
            extra={"field": "Idempotency-Key"},
        )


def once(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    key: str | None,
    case_id: int,
    action: str,
    arguments: dict[str, Any],
    take: Callable[[], T],
    answer_type: type[T],
) -> tuple[T, bool]:
    """`take()` (the action and its answer), or the stored answer of an earlier request with the
    same `key`; the flag says whether it was replayed. Without a key, simply `take()`."""
    if key is None:
        return take(), False
    _check_key(key)
    get_case(session, case_id)  # an unknown case is a 404, not a foreign-key error
    full = f"{actor.kind}:{actor.id}:{key}"
    fingerprint = _fingerprint(case_id, action, arguments)
    claimed = session.execute(
        insert(ActionRequest)
        .values(key=full, case_id=case_id, action=action, fingerprint=fingerprint, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(ActionRequest.key)
    ).scalar_one_or_none()
    if claimed is None:
        earlier = session.execute(
            select(ActionRequest.fingerprint, ActionRequest.answer).where(ActionRequest.key == full)
        ).one()
        if earlier.fingerprint != fingerprint or earlier.answer is None:
            raise InvalidInput(
                "该 Idempotency-Key 已用于另一项操作，请换一个",
                code="idempotency_key_reused",
                message_en="this Idempotency-Key was used for another request; use a new one",
                extra={"field": "Idempotency-Key"},
            )
        return answer_type.model_validate(earlier.answer), True
    answer = take()
    session.execute(
        update(ActionRequest)
        .where(ActionRequest.key == full)
        .values(answer=answer.model_dump(mode="json"))
    )
    return answer, False
