from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from urbanops.areas.models import Community, GridCell, Town, Unit
from urbanops.catalogue.models import Component, Matter, TimeLimit
from urbanops.core import migrate
from urbanops.models import metadata


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    assert migrate.drift(engine, metadata) == []


def test_reference_data_is_complete(session: Session) -> None:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    assert count(Town) == 36
    assert session.scalar(select(func.count()).where(Town.geometry_wkb.is_not(None))) == 33
    assert count(Community) == 609
    assert count(Matter) == 250
    assert count(Component) == 153
    assert count(TimeLimit) == 250 * 3
    assert count(Unit) >= 36 + 5
    assert count(GridCell) > 10000
    codes = session.scalars(select(GridCell.code).limit(50)).all()
    assert all(len(c) == 15 and c.startswith("441900") for c in codes)
