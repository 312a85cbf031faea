"""Tables of the area hierarchy, units and the responsibility matrix."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from urbanops.core.db import Base

UNIT_KINDS = ("town_branch", "department")


class City(Base):
    __tablename__ = "city"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Town(Base):
    """镇街: a town (镇), street (街道) or administrative zone; 9-digit GB/T 2260-style code."""

    __tablename__ = "town"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"))
    name: Mapped[str] = mapped_column(String(50))
    geometry_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)


class Community(Base):
    """村/社区, 12-digit code; geometry only once an admin has imported it."""

    __tablename__ = "community"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    town_code: Mapped[str] = mapped_column(ForeignKey("town.code"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    geometry_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)


class GridCell(Base):
    """单元网格, 15-digit code: region 6 + town 3 + community 3 + sequence 3."""

    __tablename__ = "grid_cell"
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    town_code: Mapped[str] = mapped_column(ForeignKey("town.code"), index=True)
    community_code: Mapped[str | None] = mapped_column(ForeignKey("community.code"))
    geometry_wkb: Mapped[bytes] = mapped_column(LargeBinary)


class Unit(Base):
    """处置单位: a town branch (城管分局) or a city department (专业部门)."""

    __tablename__ = "unit"
    __table_args__ = (CheckConstraint(f"kind IN {UNIT_KINDS}", name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    town_code: Mapped[str | None] = mapped_column(ForeignKey("town.code"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class Responsibility(Base):
    """责任矩阵: (town or city-wide) × (matter class or single matter) → unit.

    The most specific row wins: town+matter, town+class, town default, city+matter,
    city+class, city default.
    """

    __tablename__ = "responsibility"
    __table_args__ = (
        Index(
            "uq_responsibility_scope",
            "town_code",
            "matter_class",
            "matter_code",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("matter_class IS NULL OR matter_code IS NULL", name="class_or_matter"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    town_code: Mapped[str | None] = mapped_column(ForeignKey("town.code"))
    matter_class: Mapped[str | None] = mapped_column(ForeignKey("matter_class.code"))
    matter_code: Mapped[str | None] = mapped_column(ForeignKey("matter.code"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))


class ServiceStation(Base):
    """城市服务驿站 / 爱心驿站: a place where outdoor workers and citizens can rest."""

    __tablename__ = "service_station"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    town_code: Mapped[str | None] = mapped_column(ForeignKey("town.code"))
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    amenities: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    opening_hours: Mapped[str] = mapped_column(String(100), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
