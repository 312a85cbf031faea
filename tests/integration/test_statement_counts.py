"""Every list endpoint runs a small, constant number of SQL statements, whatever the page size.

The same requests are counted with 5 cases and with 50 (seeded through the intake and the case
verbs, in different towns, some with photos, public notes, supporters, a merge and a closure,
and each dispatch's citizen notification), after one warm-up request so that the reference
caches are loaded; an N+1 read (a statement per row, or per town) shows as a difference.
Savepoint statements of the test's own transaction are not counted. The admin's calendar list,
which grows with imported years rather than cases, is counted with one year and with five.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.admin import calendar
from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.core import geo
from urbanops.core.web import get_now
from urbanops.identity import citizens
from urbanops.identity import service as identity
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM, Role
from urbanops.notifications.service import notify_case_event
from urbanops.reports import photos
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from .conftest import NOW, PASSWORD, Staff, token

MATTERS = ["06042", "06010", "09006", "01037", "07001", "06036", "09009", "08004"]
# a list endpoint may take at most this many statements; today an Open311 list takes 1 (the
# page), the citizen's lists 2 (the session, the page), the staff lists 3 (the token's account,
# the count, the page), the admin's calendar 4 (the account, published years, years, their days)
BOUND = 4
SMALL, LARGE = 5, 50


@cache
def _points(n: int) -> list[tuple[float, float]]:
    """`n` points spread over the towns (each inside one), the same in every run."""
    towns = geo.load_town_shapes()
    rng = random.Random(7)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        town = towns[len(out) % len(towns)]
        minx, miny, maxx, maxy = town.geometry.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if town.geometry.contains(shapely.Point(x, y)):
            out.append((y, x))
    return out


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (40, 120, 80)).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class World:
    """What the seeded cases belong to: the reporting citizen, their photo, the case ids."""

    citizen: Citizen
    citizen_headers: dict[str, str]
    photo: list[str]
    cases: list[int]


def _citizen(session: Session) -> tuple[Citizen, dict[str, str]]:
    person = Citizen(phone="13900007777", nickname="市民7777", created_at=NOW)
    session.add(person)
    session.flush()
    raw = factories.citizen_token(session, person.id)
    return person, {"X-Citizen-Token": raw}


def _grow(session: Session, world: World, upto: int) -> None:
    """Cases up to `upto`: the citizen's reports, one per town in turn, half with a photo;
    every 5th with a handler's public note (every 15th then closed), every 4th a supporting
    report joining the first case, every 12th a triaged report merged into it; and each public
    event's notifications as the job writes them."""
    actor = citizens.citizen_actor(world.citizen)
    first = _points(LARGE)[0]
    for i in range(len(world.cases), upto):
        lat, lon = _points(LARGE)[i]
        case = submit_report(
            session,
            actor=actor,
            now=NOW,
            data=ReportIn(
                lat=lat,
                lon=lon,
                matter_code=MATTERS[i % len(MATTERS)],
                description=f"第 {i} 处问题",
                media=world.photo if i % 2 == 0 else [],
            ),
            source="citizen",
            citizen_id=world.citizen.id,
            check_duplicates=False,
        ).case
        world.cases.append(case.id)
        if i % 5 == 0 and i > 0:
            verbs.start_case(session, actor=SYSTEM, now=NOW, case_id=case.id)
            verbs.submit_result(
                session, actor=SYSTEM, now=NOW, case_id=case.id, note=f"已清理第 {i} 处"
            )
            if i % 3 == 0:
                verbs.verify_case(session, actor=SYSTEM, now=NOW, case_id=case.id, note="已核实")
        if i % 4 == 1:
            joined = submit_report(
                session,
                actor=SYSTEM,
                now=NOW,
                data=ReportIn(lat=first[0], lon=first[1], matter_code=MATTERS[0]),
                source="api",
            )
            assert joined.outcome == "joined" and joined.case.id == world.cases[0]
        if i % 12 == 11:
            triaged = submit_report(
                session,
                actor=actor,
                now=NOW,
                data=ReportIn(lat=lat, lon=lon),
                source="citizen",
                citizen_id=world.citizen.id,
                check_duplicates=False,
            ).case
            verbs.merge_case(
                session, actor=SYSTEM, now=NOW, case_id=triaged.id, into_case_id=case.id
            )
    session.flush()
    events = session.scalars(
        select(CaseEvent.id).where(CaseEvent.case_id.in_(world.cases), CaseEvent.public.is_(True))
    ).all()
    for event_id in events:
        notify_case_event(session, event_id, now=NOW)
    session.commit()


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _numbers(session: Session, world: World) -> str:
    """The numbers of the citizen's cases, merged ones included."""
    return ",".join(
        session.scalars(select(Case.number).where(Case.reporter_citizen_id == world.citizen.id))
    )


def _items(r: Response) -> int:
    if r.headers["content-type"].startswith("text/xml"):
        return r.text.count("<request>")
    body = r.json()
    return len(body["items"]) if isinstance(body, dict) else len(body)


Endpoint = Callable[[World], tuple[str, dict[str, str] | None]]


@pytest.fixture
def endpoints(client: TestClient, session: Session, staff: dict[str, Staff]) -> dict[str, Endpoint]:
    """Each list endpoint: the path (with its query) and headers of a request, given the world."""
    dispatcher = token(client, staff["dispatcher"].username)
    handler = token(client, staff["humen"].username)
    # Open311 searches the 90 days before the request's clock, which the cases were filed at
    cast(FastAPI, client.app).dependency_overrides[get_now] = lambda: NOW

    def fixed(path: str, headers: dict[str, str] | None = None) -> Endpoint:
        return lambda world: (path, headers)

    return {
        "open311 requests.json": fixed("/open311/v2/requests.json?page_size=1000"),
        "open311 requests.xml": fixed("/open311/v2/requests.xml?page_size=1000"),
        "open311 requests by id": lambda world: (
            f"/open311/v2/requests.json?service_request_id={_numbers(session, world)}",
            None,
        ),
        "open311 updates": fixed("/open311/v2/servicerequestupdates.json?page_size=1000"),
        "open311 services": fixed("/open311/v2/services.json"),
        "staff cases": fixed("/api/v1/cases?page_size=200", dispatcher),
        "staff cases (unit scope)": fixed("/api/v1/cases?page_size=200", handler),
        "staff cases (not suspected)": fixed(
            "/api/v1/cases?page_size=200&suspected=false", dispatcher
        ),
        "staff cases (suspected)": fixed("/api/v1/cases?page_size=200&suspected=true", dispatcher),
        "staff case reports": lambda world: (f"/api/v1/cases/{world.cases[0]}/reports", dispatcher),
        "citizen reports": lambda world: ("/api/v1/citizen/reports", world.citizen_headers),
        "citizen notifications": lambda world: (
            "/api/v1/citizen/notifications",
            world.citizen_headers,
        ),
        "citizen stations": fixed("/api/v1/citizen/stations"),
        "towns": fixed("/api/v1/towns"),
        "units": fixed("/api/v1/units"),
        "matters": fixed("/api/v1/matters"),
        "categories": fixed("/api/v1/categories"),
        "channels": fixed("/api/v1/channels", dispatcher),
    }


def _measure(
    client: TestClient, engine: Engine, endpoints: dict[str, Endpoint], world: World
) -> dict[str, tuple[int, int]]:
    """Statements and items of each endpoint's answer (after one warm-up request)."""
    out = {}
    for name, endpoint in endpoints.items():
        path, headers = endpoint(world)
        assert client.get(path, headers=headers).status_code == 200, name
        with _counting(engine) as statements:
            r = client.get(path, headers=headers)
        assert r.status_code == 200, (name, r.text)
        out[name] = (len(statements), _items(r))
    return out


def test_list_endpoints_run_a_constant_small_number_of_statements(
    client: TestClient, session: Session, engine: Engine, endpoints: dict[str, Endpoint]
) -> None:
    person, headers = _citizen(session)
    photo = photos.store_photo(session, _jpeg(), now=NOW, citizen_id=person.id)
    media = photos.photo_urls(session, [photo.id], citizen_id=person.id)
    world = World(person, headers, media, [])

    _grow(session, world, SMALL)
    small = _measure(client, engine, endpoints, world)
    _grow(session, world, LARGE)
    large = _measure(client, engine, endpoints, world)

    # the lists did grow with the cases (else the comparison proves nothing)
    for name in ("open311 requests.json", "open311 requests.xml", "open311 updates"):
        assert large[name][1] > small[name][1] >= SMALL, (name, small[name], large[name])
    for name in (
        "staff cases",
        "staff cases (not suspected)",
        "citizen reports",
        "citizen notifications",
        "staff case reports",
    ):
        assert large[name][1] > small[name][1], (name, small[name], large[name])
    differ = {n: (small[n][0], large[n][0]) for n in endpoints if small[n][0] != large[n][0]}
    assert not differ, f"statements with {SMALL} vs {LARGE} cases: {differ}"
    over = {n: large[n][0] for n in endpoints if large[n][0] > BOUND}
    assert not over, f"more than {BOUND} statements: {over}"


def _schedule(years: range) -> bytes:
    """A CSV holiday schedule (`date,off|on,name`) with a few days in each of `years`."""
    lines = [f"{y}-10-0{d},off,国庆节" for y in years for d in range(1, 4)]
    return "\n".join(lines).encode()


def test_the_calendar_list_reads_every_imported_year_in_constant_statements(
    client: TestClient, session: Session, engine: Engine
) -> None:
    admin = identity.create_user(
        session, username="t_admin", password=PASSWORD, display_name="admin", roles=[Role.admin]
    )
    headers = token(client, admin.username)
    counts = []
    for years in (range(2031, 2032), range(2032, 2036)):
        calendar.import_schedule(
            session, actor=SYSTEM, now=NOW, data=_schedule(years), filename="years.csv"
        )
        session.commit()
        assert client.get("/api/v1/admin/calendar", headers=headers).status_code == 200
        with _counting(engine) as statements:
            r = client.get("/api/v1/admin/calendar", headers=headers)
        assert r.status_code == 200, r.text
        counts.append((len(statements), len(r.json()["years"])))
    (small, one), (large, five) = counts
    assert (one, five) == (1, 5)
    assert small == large <= BOUND, counts
