"""Reading the catalogue: a cached snapshot for the hot intake path, and admin edits."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.catalogue.models import Category, CategoryMatter, Channel, Matter, MatterClass
from urbanops.core.cache import RefCache
from urbanops.core.errors import InvalidInput

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class MatterInfo:
    code: str
    name: str
    class_code: str
    class_name: str
    duplicate_radius_m: float | None


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name_zh: str
    name_en: str
    icon: str
    matters: tuple[str, ...]


@dataclass(frozen=True)
class ChannelInfo:
    """A channel other than urban management (see `catalogue.models.Channel`)."""

    code: str
    name_zh: str
    name_en: str
    reply_zh: str
    reply_en: str


@dataclass
class Snapshot:
    matters: dict[str, MatterInfo] = field(default_factory=dict)
    categories: dict[str, CategoryInfo] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    channels: dict[str, ChannelInfo] = field(default_factory=dict)  # active ones, in order


_cache: RefCache[Snapshot] = RefCache(CACHE_SECONDS)


def invalidate() -> None:
    _cache.invalidate()


def snapshot(session: Session) -> Snapshot:
    return _cache.get(lambda: _load(session))


def _load(session: Session) -> Snapshot:
    classes = dict(session.execute(select(MatterClass.code, MatterClass.name)).all())
    matters = {
        m.code: MatterInfo(
            m.code, m.name, m.class_code, classes.get(m.class_code, ""), m.duplicate_radius_m
        )
        for m in session.scalars(select(Matter).where(Matter.is_active.is_(True)))
    }
    links: dict[str, list[str]] = {}
    for cm in session.scalars(select(CategoryMatter).order_by(CategoryMatter.sort_order)):
        links.setdefault(cm.category_code, []).append(cm.matter_code)
    categories = {
        c.code: CategoryInfo(c.code, c.name_zh, c.name_en, c.icon, tuple(links.get(c.code, ())))
        for c in session.scalars(select(Category).order_by(Category.sort_order))
    }
    channels = {
        c.code: ChannelInfo(c.code, c.name_zh, c.name_en, c.reply_zh, c.reply_en)
        for c in session.scalars(
            select(Channel).where(Channel.is_active.is_(True)).order_by(Channel.position)
        )
    }
    return Snapshot(matters=matters, categories=categories, classes=classes, channels=channels)


def require_matter(session: Session, code: str) -> MatterInfo:
    info = snapshot(session).matters.get(code)
    if info is None:
        raise InvalidInput(
            f"管理事项代码“{code}”不存在",
            code="unknown_matter",
            message_en=f"unknown matter code {code!r}",
            extra={"field": "matter_code"},
        )
    return info


def require_category(session: Session, code: str) -> CategoryInfo:
    info = snapshot(session).categories.get(code)
    if info is None:
        raise InvalidInput(
            f"问题类别“{code}”不存在",
            code="unknown_category",
            message_en=f"unknown category {code!r}",
            extra={"field": "category_code"},
        )
    return info
