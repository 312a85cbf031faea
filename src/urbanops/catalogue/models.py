"""Catalogue tables."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

STAGES = ("dispatch", "handle", "verify")
TIME_UNITS = ("natural_hours", "working_hours", "working_days")


class MatterClass(Base):
    """大类, 2 digits; kind `component` (01–05, 部件) or `event` (06–10, 事项)."""

    __tablename__ = "matter_class"
    __table_args__ = (CheckConstraint("kind IN ('component', 'event')", name="kind"),)
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))


class Component(Base):
    """管理部件 (5-digit code)."""

    __tablename__ = "component"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    class_code: Mapped[str] = mapped_column(ForeignKey("matter_class.code"))
    name: Mapped[str] = mapped_column(String(60))


class Matter(Base):
    """管理事项 (5-digit code); local extensions are marked."""

    __tablename__ = "matter"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    class_code: Mapped[str] = mapped_column(ForeignKey("matter_class.code"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    component_code: Mapped[str | None] = mapped_column(ForeignKey("component.code"))
    is_local_extension: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    duplicate_radius_m: Mapped[float | None] = mapped_column(Float)


class TimeLimit(Base):
    """时限 of one stage of one matter."""

    __tablename__ = "time_limit"
    __table_args__ = (
        CheckConstraint(f"stage IN {STAGES}", name="stage"),
        CheckConstraint(f"unit IN {TIME_UNITS}", name="unit"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )
    matter_code: Mapped[str] = mapped_column(ForeignKey("matter.code"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))


class Category(Base):
    """A citizen-facing category (秩序杂乱, 井盖缺损 …) shown in the report flow."""

    __tablename__ = "category"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(60))
    icon: Mapped[str] = mapped_column(String(16), default="", server_default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CategoryMatter(Base):
    __tablename__ = "category_matter"
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), primary_key=True)
    matter_code: Mapped[str] = mapped_column(ForeignKey("matter.code"), primary_key=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Channel(Base):
    """A channel other than urban management that takes what is not its remit (人社, 住建 …),
    with the reply the citizen is given when a case is referred there. Editable by admins."""

    __tablename__ = "channel"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    reply_zh: Mapped[str] = mapped_column(Text)
    reply_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
