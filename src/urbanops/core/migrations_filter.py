"""Which database objects Alembic compares: procrastinate's own schema is left to it."""

from __future__ import annotations

from typing import Any


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (name or "").startswith("procrastinate")
