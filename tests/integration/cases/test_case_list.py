"""The console's case list API: every filter, every sort order with cursor paging, the counts,
the map, the caller's scope, and refused parameters.

Expected answers are computed here in Python from every case row the database holds (other
tests' committed cases included), never written down by hand.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases import casemap, listing
from urbanops.cases.models import Case
from urbanops.cases.sweep import sweep
from urbanops.cases.workflow import OPEN_STATUSES

from ...factories import DONGCHENG, HUMEN, report_case
from ..conftest import NOW, Staff, token

OPEN = ("dispatched", "in_progress", "reported")
FAR = datetime(2200, 1, 1, tzinfo=UTC)


@pytest.fixture
def book(session: Session, staff: dict[str, Staff]) -> list[int]:
    """Cases over six weeks in two towns, some in triage, the oldest overdue, one whose
    deadline runs into 2027 (not yet published: provisional)."""
    ids = []
    for i in range(14):
        at = NOW - timedelta(days=3 * i, hours=i)
        where = DONGCHENG if i % 3 else HUMEN
        triage = i % 5 == 4  # no matter and no words: it waits for a clerk
        matter = None if triage else ("06042" if i % 2 else "06010")
        text = "" if triage else (f"井盖破损 第{i}号" if i % 2 else f"占道经营 摊位{i}")
        ids.append(
            report_case(session, now=at, where=where, matter_code=matter, description=text).case.id
        )
    late = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)  # 10:00; one working day runs into 2027
    ids.append(report_case(session, now=late, where=HUMEN, description="年底 井盖").case.id)
    sweep(session, NOW)
    session.flush()
    provisional = session.get(Case, ids[-1])
    assert provisional is not None and provisional.deadline_provisional, "precondition"
    assert any(c.overdue for c in all_cases(session)), "precondition: some are overdue"
    assert any(c.status == "reported" for c in all_cases(session)), "precondition: triage"
    return ids


def all_cases(session: Session) -> list[Case]:
    return list(session.scalars(select(Case)))


def open_cases(session: Session) -> list[Case]:
    """What the map shows when no status is asked for."""
    return [c for c in all_cases(session) if c.status in OPEN_STATUSES]


def listed(
    client: TestClient, headers: dict[str, str], query: str, page_size: int = 200
) -> list[int]:
    """Every id the list gives for `query`, following the cursors."""
    ids: list[int] = []
    cursor = None
    while True:
        params = f"{query}&page_size={page_size}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(f"/api/v1/cases?{params}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def local_day(at: datetime) -> str:
    return (at + timedelta(hours=8)).date().isoformat()


FILTERS: list[tuple[str, Callable[[Case], bool]]] = [
    ("town=441900121", lambda c: c.town_code == "441900121"),
    ("matter=06010", lambda c: c.matter_code == "06010"),
    ("status=reported", lambda c: c.status == "reported"),
    ("status=reported&status=dispatched", lambda c: c.status in ("reported", "dispatched")),
    ("status=reported,dispatched", lambda c: c.status in ("reported", "dispatched")),
    ("source=api", lambda c: c.source == "api"),
    ("overdue=true", lambda c: c.overdue),
    ("overdue=false", lambda c: not c.overdue),
    ("provisional=true", lambda c: c.deadline_provisional),
    ("reported_from=2026-02-01", lambda c: c.reported_at >= datetime(2026, 1, 31, 16, tzinfo=UTC)),
    ("reported_to=2026-02-01", lambda c: c.reported_at < datetime(2026, 2, 1, 16, tzinfo=UTC)),
    (
        "reported_from=2026-02-10T00:00:00%2B00:00&reported_to=2026-02-20T00:00:00Z",
        lambda c: (
            datetime(2026, 2, 10, tzinfo=UTC) <= c.reported_at < datetime(2026, 2, 20, tzinfo=UTC)
        ),
    ),
    ("q=井盖", lambda c: "井盖" in c.description or "井盖" in c.address),
    ("q=井盖 第1", lambda c: "井盖" in c.description and "第1" in c.description),
    ("suspected=false", lambda c: not (c.suspected_channel and c.status == "reported")),
    (
        "town=441900003&status=dispatched&overdue=true",
        lambda c: c.town_code == "441900003" and c.status == "dispatched" and c.overdue,
    ),
]


@pytest.mark.parametrize(("query", "wanted"), FILTERS, ids=[q for q, _ in FILTERS])
def test_each_filter_lists_exactly_its_cases(
    client: TestClient,
    session: Session,
    book: list[int],
    query: str,
    wanted: Callable[[Case], bool],
) -> None:
    chief = token(client, "t_chief")
    expected = {c.id for c in all_cases(session) if wanted(c)}
    assert expected & set(book), "the book holds cases of this filter"
    got = listed(client, chief, query)
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_unit_and_case_number_filters(
    client: TestClient, session: Session, book: list[int]
) -> None:
    chief = token(client, "t_chief")
    one = session.get(Case, book[1])
    assert one is not None and one.unit_id is not None
    by_unit = {c.id for c in all_cases(session) if c.unit_id == one.unit_id}
    assert set(listed(client, chief, f"unit={one.unit_id}")) == by_unit
    assert listed(client, chief, f"q={one.number}") == [one.id]
    prefix = one.number[:10]
    same_start = {c.id for c in all_cases(session) if c.number.startswith(prefix)}
    assert one.id in same_start and set(listed(client, chief, f"q={prefix}")) == same_start


def sort_key(sort: str) -> Callable[[Case], Any]:
    name = sort.lstrip("-")
    if name == "deadline":
        return lambda c: (c.due_at or FAR, c.id)
    return lambda c: (getattr(c, name), c.id)


@pytest.mark.parametrize("sort", [s.value for s in listing.Sort])
@pytest.mark.parametrize("page_size", [1, 4])
def test_cursor_paging_in_every_sort_order_has_no_duplicates_or_gaps(
    client: TestClient, session: Session, book: list[int], sort: str, page_size: int
) -> None:
    chief = token(client, "t_chief")
    cases = sorted(all_cases(session), key=sort_key(sort), reverse=sort.startswith("-"))
    got = listed(client, chief, f"sort={sort}", page_size=page_size)
    assert got == [c.id for c in cases]


def test_pages_count_up_and_the_default_is_newest_first(
    client: TestClient, session: Session, book: list[int]
) -> None:
    chief = token(client, "t_chief")
    first = client.get("/api/v1/cases?page_size=3", headers=chief).json()
    newest = sorted(all_cases(session), key=lambda c: (c.reported_at, c.id), reverse=True)
    assert [c["id"] for c in first["items"]] == [c.id for c in newest[:3]]
    assert first["page"] == 1 and first["total"] == len(newest) and not first["total_is_estimate"]
    second = client.get(f"/api/v1/cases?page_size=3&cursor={first['next_cursor']}", headers=chief)
    assert second.json()["page"] == 2
    assert [c["id"] for c in second.json()["items"]] == [c.id for c in newest[3:6]]


def test_a_large_total_is_an_estimate_and_says_so(
    client: TestClient, session: Session, book: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "EXACT_TOTAL_UP_TO", 3)
    body = client.get("/api/v1/cases?page_size=2", headers=token(client, "t_chief")).json()
    assert body["total_is_estimate"] is True and body["total"] >= 4
    small = client.get("/api/v1/cases?q=年底", headers=token(client, "t_chief")).json()
    assert small["total_is_estimate"] is False and small["total"] == 1


def test_counts_are_exact(client: TestClient, session: Session, book: list[int]) -> None:
    chief = token(client, "t_chief")
    now = datetime.now(UTC)
    for query, wanted in (
        ("", lambda c: True),
        ("town=441900121", lambda c: c.town_code == "441900121"),
    ):
        cases = [c for c in all_cases(session) if wanted(c)]
        r = client.get(f"/api/v1/cases/counts?{query}", headers=chief)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(cases)
        statuses = {s: sum(c.status == s for c in cases) for s in {c.status for c in cases}}
        assert body["by_status"] == statuses
        assert body["estimated_statuses"] == [] and body["total_is_estimate"] is False
        live = [c for c in cases if c.status in OPEN_STATUSES]
        towns = {t: sum(c.town_code == t for c in live) for t in {c.town_code for c in live}}
        assert body["by_town"] == towns
        late = {t: sum(c.overdue for c in live if c.town_code == t) for t in towns}
        assert body["overdue_by_town"] == {t: n for t, n in late.items() if n}
        assert body["overdue"] == sum(c.overdue for c in cases) > 0
        soon = [
            c
            for c in cases
            if c.due_at and now <= c.due_at < now + timedelta(hours=24) and not c.overdue
        ]
        assert body["due_soon"] == len(soon)


def test_map_clusters_by_h3_and_points_when_zoomed_in(
    client: TestClient, session: Session, book: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    chief = token(client, "t_chief")
    cases = open_cases(session)
    r = client.get("/api/v1/cases/map?zoom=10", headers=chief)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "cells" and body["resolution"] == 6 and body["points"] == []
    expected: dict[str, list[Case]] = {}
    for c in cases:
        expected.setdefault(h3.cell_to_parent(c.h3_cell, 6), []).append(c)
    assert {cell["h3"]: cell["count"] for cell in body["cells"]} == {
        k: len(v) for k, v in expected.items()
    }
    for cell in body["cells"]:
        members = expected[cell["h3"]]
        assert cell["overdue"] == sum(c.overdue for c in members)
        assert cell["lat"] == pytest.approx(sum(c.lat for c in members) / len(members))
    box = "113.70,22.95,113.85,23.10"  # around 东城, not 虎门
    inside = {c.id for c in cases if 113.70 <= c.lon <= 113.85 and 22.95 <= c.lat <= 23.10}
    assert inside and inside != {c.id for c in cases}
    points = client.get(f"/api/v1/cases/map?zoom=16&bbox={box}", headers=chief).json()
    assert points["kind"] == "points" and points["cells"] == [] and not points["capped"]
    assert {p["id"] for p in points["points"]} == inside
    named = next(p for p in points["points"] if p["id"] == book[1])
    assert named["matter_name"] and named["number"]
    reported = client.get("/api/v1/cases/map?zoom=18&status=reported", headers=chief).json()
    assert {p["id"] for p in reported["points"]} == {
        c.id for c in all_cases(session) if c.status == "reported"
    }
    monkeypatch.setattr(casemap, "POINT_LIMIT", 2)
    capped = client.get(f"/api/v1/cases/map?zoom=16&bbox={box}", headers=chief).json()
    assert capped["capped"] is True and len(capped["points"]) == 2 and capped["limit"] == 2


def test_a_unit_handler_never_sees_another_units_case(
    client: TestClient, session: Session, staff: dict[str, Staff], book: list[int]
) -> None:
    humen = token(client, "t_humen")
    unit_id = staff["humen"].actor.unit_id
    mine = {c.id for c in all_cases(session) if c.unit_id == unit_id}
    assert mine and mine != {c.id for c in all_cases(session)}
    assert set(listed(client, humen, "")) == mine
    mine_open = {c.id for c in open_cases(session) if c.unit_id == unit_id}
    other = next(c for c in all_cases(session) if c.unit_id not in (None, unit_id))
    assert listed(client, humen, f"unit={other.unit_id}") == []
    assert listed(client, humen, f"q={other.number}") == []
    counts = client.get("/api/v1/cases/counts", headers=humen).json()
    assert counts["total"] == len(mine)
    cells = client.get("/api/v1/cases/map?zoom=8", headers=humen).json()["cells"]
    assert sum(c["count"] for c in cells) == len(mine_open)
    points = client.get("/api/v1/cases/map?zoom=18", headers=humen).json()["points"]
    assert {p["id"] for p in points} == mine_open
    exported = client.get("/api/v1/cases/export.geojson", headers=humen).json()
    assert {f["id"] for f in exported["features"]} == mine


def test_an_account_without_a_reading_role_counts_nothing(
    client: TestClient, session: Session, book: list[int]
) -> None:
    from urbanops.identity import service as identity

    from ..conftest import PASSWORD

    identity.create_user(session, username="t_none", password=PASSWORD, display_name="x", roles=[])
    h = token(client, "t_none")
    assert client.get("/api/v1/cases/counts", headers=h).json()["total"] == 0
    assert client.get("/api/v1/cases/map?zoom=18", headers=h).json()["points"] == []
    csv = client.get("/api/v1/cases/export.csv", headers=h)
    assert csv.status_code == 200 and len(csv.content.decode("utf-8-sig").splitlines()) == 1


# a well-formed cursor whose case id no bigint holds
HUGE_ID_CURSOR = (
    base64.urlsafe_b64encode(
        json.dumps(["-reported_at", "2026-03-01T00:00:00+00:00", 10**30, 1]).encode()
    )
    .decode()
    .rstrip("=")
)
BAD: list[tuple[str, str, str]] = [
    ("/api/v1/cases?status=bogus", "unknown_status", "status"),
    ("/api/v1/cases?source=fax", "unknown_source", "source"),
    ("/api/v1/cases?sort=colour", "invalid_input", "sort"),
    ("/api/v1/cases?page_size=0", "invalid_input", "page_size"),
    ("/api/v1/cases?page_size=201", "invalid_input", "page_size"),
    ("/api/v1/cases?cursor=not-a-cursor", "invalid_cursor", "cursor"),
    (f"/api/v1/cases?cursor={HUGE_ID_CURSOR}", "invalid_cursor", "cursor"),
    ("/api/v1/cases?reported_from=yesterday", "invalid_date", "reported_from"),
    (
        "/api/v1/cases?reported_from=2026-03-02&reported_to=2026-03-01",
        "invalid_date_range",
        "reported_from",
    ),
    ("/api/v1/cases?town_code=441900121", "unknown_parameter", "town_code"),
    ("/api/v1/cases?overdue=maybe", "invalid_input", "overdue"),
    ("/api/v1/cases/map", "invalid_input", "zoom"),
    ("/api/v1/cases/map?zoom=10&bbox=1,2,3", "invalid_bbox", "bbox"),
    ("/api/v1/cases/map?zoom=10&bbox=114,23,113,22", "invalid_bbox", "bbox"),
    ("/api/v1/cases/counts?status=bogus", "unknown_status", "status"),
    ("/api/v1/cases/export.csv?sort=x", "invalid_input", "sort"),
]


@pytest.mark.parametrize(("url", "code", "field"), BAD, ids=[u for u, _, _ in BAD])
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, staff: dict[str, Staff], url: str, code: str, field: str
) -> None:
    chief = token(client, "t_chief")
    r = client.get(url, headers=chief)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code and field in [e["field"] for e in body["errors"]]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    english = client.get(url, headers={**chief, "Accept-Language": "en"}).json()["detail"]
    assert english.isascii() and english != body["detail"]


def test_a_cursor_of_another_sort_order_is_refused(client: TestClient, book: list[int]) -> None:
    chief = token(client, "t_chief")
    cursor = client.get("/api/v1/cases?page_size=1", headers=chief).json()["next_cursor"]
    r = client.get(f"/api/v1/cases?sort=number&cursor={cursor}", headers=chief)
    assert r.status_code == 422 and r.json()["code"] == "cursor_sort_mismatch"
