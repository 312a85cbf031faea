"""Loads the GB/T 47678.5 catalogue, default time limits and citizen categories (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from urbanops.catalogue.models import (
    Category,
    CategoryMatter,
    Channel,
    Component,
    Matter,
    MatterClass,
    TimeLimit,
)
from urbanops.core.resources import read_csv

EVENT_CLASS_FROM = 6


def _expand(scope: str) -> tuple[str | None, list[str]]:
    """'01' → a class; '01001-01023' → a range of matters; '08001' → one matter."""
    if len(scope) == 2:
        return scope, []
    if "-" in scope:
        lo, hi = scope.split("-")
        return None, [f"{n:05d}" for n in range(int(lo), int(hi) + 1)]
    return None, [scope]


def load_catalogue(session: Session) -> int:
    """Insert what is missing; never overwrite what an admin has edited. Returns matters added."""
    matters = read_csv("catalogue/matters.csv")
    components = read_csv("catalogue/components.csv")
    classes: dict[str, str] = {}
    for row in matters:
        classes.setdefault(row["code"][:2], row["major_class"])
    session.execute(
        insert(MatterClass)
        .values(
            [
                {
                    "code": code,
                    "name": name,
                    "kind": "event" if int(code) >= EVENT_CLASS_FROM else "component",
                }
                for code, name in sorted(classes.items())
            ]
        )
        .on_conflict_do_nothing()
    )
    session.execute(
        insert(Component)
        .values(
            [
                {"code": r["code"], "class_code": r["code"][:2], "name": r["name"]}
                for r in components
            ]
        )
        .on_conflict_do_nothing()
    )
    existing = set(session.scalars(select(Matter.code)))
    new = [
        {
            "code": r["code"],
            "class_code": r["code"][:2],
            "name": r["name"],
            "component_code": r["component_code"] or None,
        }
        for r in matters
        if r["code"] not in existing
    ]
    if new:
        session.execute(insert(Matter).values(new))
    all_codes = sorted(existing | {r["code"] for r in matters})

    # time limits: class defaults, then per-matter overrides; only for (matter, stage) not set
    limits: dict[tuple[str, str], tuple[float, str]] = {}
    rows = read_csv("time_limits.csv")
    for row in rows:
        cls, _ = _expand(row["scope"])
        if cls is not None:
            for code in all_codes:
                if code.startswith(cls):
                    limits[(code, row["stage"])] = (float(row["amount"]), row["unit"])
    for row in rows:
        _, codes = _expand(row["scope"])
        for code in codes:
            if code in set(all_codes):
                limits[(code, row["stage"])] = (float(row["amount"]), row["unit"])
    session.execute(
        insert(TimeLimit)
        .values(
            [
                {"matter_code": m, "stage": s, "amount": a, "unit": u}
                for (m, s), (a, u) in sorted(limits.items())
            ]
        )
        .on_conflict_do_nothing()
    )

    categories = read_csv("categories.csv")
    session.execute(
        insert(Category)
        .values(
            [
                {
                    "code": r["code"],
                    "name_zh": r["name_zh"],
                    "name_en": r["name_en"],
                    "icon": r["icon"],
                    "sort_order": i,
                }
                for i, r in enumerate(categories)
            ]
        )
        .on_conflict_do_nothing()
    )
    session.execute(
        insert(CategoryMatter)
        .values(
            [
                {"category_code": r["code"], "matter_code": m, "sort_order": j}
                for r in categories
                for j, m in enumerate(r["matters"].split())
            ]
        )
        .on_conflict_do_nothing()
    )
    channels = read_csv("channels.csv")
    session.execute(
        insert(Channel)
        .values(
            [
                {
                    "code": r["code"],
                    "name_zh": r["name_zh"],
                    "name_en": r["name_en"],
                    "reply_zh": r["reply_zh"],
                    "reply_en": r["reply_en"],
                    "position": i,
                }
                for i, r in enumerate(channels)
            ]
        )
        .on_conflict_do_nothing()
    )
    session.flush()
    return len(new)
