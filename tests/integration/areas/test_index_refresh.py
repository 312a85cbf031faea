"""The area index is rebuilt off the request path, and only when the area tables changed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from urbanops.areas import service as areas
from urbanops.areas.index import BackgroundRefreshed, fingerprint
from urbanops.areas.models import Community


@pytest.fixture
def committed(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def renamed(committed: sessionmaker[Session]) -> Iterator[tuple[str, str]]:
    """A community whose name the test changes (committed), put back afterwards."""
    with committed() as s:
        code, name = s.execute(select(Community.code, Community.name).limit(1)).one()
    yield code, name
    with committed.begin() as s:
        s.execute(update(Community).where(Community.code == code).values(name=name))


def names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Community.code, Community.name)).all())


def test_an_unchanged_city_is_not_rebuilt(
    session: Session, committed: sessionmaker[Session]
) -> None:
    builds: list[int] = []

    def build(s: Session) -> dict[str, str]:
        builds.append(1)
        return names(s)

    holder = BackgroundRefreshed(build, committed, refresh_seconds=3600)
    try:
        holder.get(session)
        assert holder.refresh() is False and holder.refresh() is False
        assert len(builds) == 1
    finally:
        holder.close()


def test_an_edit_is_built_in_the_background_while_callers_keep_the_index_they_have(
    session: Session, committed: sessionmaker[Session], renamed: tuple[str, str]
) -> None:
    code, old = renamed
    building, release = threading.Event(), threading.Event()

    def build(s: Session) -> dict[str, str]:
        if threading.current_thread() is not threading.main_thread():
            building.set()
            assert release.wait(60)  # a slow rebuild, held until the test lets it finish
        return names(s)

    holder = BackgroundRefreshed(build, committed, refresh_seconds=3600)
    try:
        assert holder.get(session)[code] == old
        before = fingerprint(session)
        with committed.begin() as s:
            s.execute(update(Community).where(Community.code == code).values(name=old + "（新）"))
        with committed() as s:
            assert fingerprint(s) != before

        swapped: list[bool] = []
        refresher = threading.Thread(target=lambda: swapped.append(holder.refresh()))
        refresher.start()
        assert building.wait(60)
        # mid-rebuild: a caller gets the index it had at once, without waiting for the new one
        assert holder.get(session)[code] == old
        release.set()
        refresher.join(timeout=60)
        assert swapped == [True]
        assert holder.get(session)[code] == old + "（新）"
        assert holder.refresh() is False  # nothing changed since
    finally:
        release.set()
        holder.close()


def test_the_platform_index_locates_after_a_background_refresh(session: Session) -> None:
    areas.area_index(session)
    areas._index.refresh()  # rebuilt if an earlier test edited (and put back) an area
    index = areas.area_index(session)
    assert areas._index.refresh() is False  # nothing changed since
    assert areas.area_index(session) is index
    assert index.locate(22.8191, 113.6968) is not None
