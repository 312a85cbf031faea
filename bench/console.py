"""Console benchmark: the case list, map and counts with N cases in the database.

1. Tops the configured database (the embedded one unless `URBANOPS_DATABASE_URL` is set) up to
   N synthetic cases (`bench/console_data.py`, `COPY` in chunks; a second run adds only what is
   missing), then `VACUUM ANALYZE`s the case table.
2. Makes two accounts if missing, an administrator and the manager of the unit with the most
   cases, and gives each a bearer token.
3. Sends each request of `MIXES` (filters, sorts, deep pages by cursor, map zooms and boxes,
   counts) `--rounds` times through the real application (`create_app()`, its routes, scope
   checks and serialisation, over httpx's ASGI transport; no server process, so the numbers
   are the application's and the database's, not the network's), after one warm-up round.

The last line is `console: cases=N list_p95_ms=A map_p95_ms=B counts_p95_ms=C`, each p95 over
every request of its kind, both callers together; the lines before it give each mix's p50/p95.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import select, text

from bench.console_data import top_up
from urbanops.app import create_app
from urbanops.core.db import get_engine, unit_of_work
from urbanops.identity import service as identity
from urbanops.identity.models import User
from urbanops.identity.roles import Role

OPEN = "status=reported,accepted,registered,dispatched,in_progress,returned,parked,awaiting_verification,reopened"
BOX = "bbox=113.74,23.00,113.78,23.03"  # a few streets of 东城/莞城
CITY = "bbox=113.45,22.60,114.30,23.20"  # the whole city, as the page first shows it
# (kind, caller, query); "{town}" is the busiest town; pages=N follows N-1 cursors
MIXES: list[tuple[str, str, str]] = [
    ("list", "admin", ""),
    ("list", "admin", f"{OPEN}&sort=deadline"),
    ("list", "admin", "overdue=true&sort=deadline"),
    ("list", "admin", "town={town}&sort=-number"),
    ("list", "admin", "status=closed&sort=status&pages=20"),
    ("list", "admin", "q=2026"),
    ("list", "admin", "reported_from={month_ago}&sort=reported_at"),
    ("list", "unit", ""),
    ("list", "unit", f"{OPEN}&sort=deadline"),
    ("list", "unit", "sort=-reported_at&pages=20"),
    ("map", "admin", f"zoom=10&{OPEN}"),
    ("map", "admin", f"zoom=10&{CITY}"),
    ("map", "admin", "zoom=12&bbox=113.6,22.8,113.9,23.1"),
    ("map", "admin", "zoom=12&overdue=true"),
    ("map", "admin", f"zoom=16&{BOX}"),
    ("map", "admin", f"zoom=13&{BOX}&{OPEN}"),
    ("map", "unit", f"zoom=11&{OPEN}"),
    ("map", "unit", "zoom=10"),
    ("counts", "admin", ""),
    ("counts", "admin", OPEN),
    ("counts", "admin", "town={town}"),
    ("counts", "unit", ""),
    ("counts", "unit", OPEN),
]
PATHS = {"list": "/api/v1/cases", "map": "/api/v1/cases/map", "counts": "/api/v1/cases/counts"}


def _account(username: str, roles: list[Role], unit_id: int | None) -> str:
    """A bearer token for `username`, made once with a random password nobody needs."""
    with unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = identity.create_user(
                session,
                username=username,
                password=secrets.token_urlsafe(18) + "aA1!",
                display_name=username,
                roles=roles,
                unit_id=unit_id,
            )
        token, _ = identity.issue_token(user, datetime.now(UTC))
        return str(token)


def _busiest() -> tuple[int, str]:
    with get_engine().connect() as conn:
        unit = conn.scalar(
            text(
                'SELECT unit_id FROM "case" WHERE unit_id IS NOT NULL'
                " GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1"
            )
        )
        town = conn.scalar(
            text('SELECT town_code FROM "case" GROUP BY town_code ORDER BY count(*) DESC LIMIT 1')
        )
    return int(unit), str(town)


def _p(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def _time(
    client: httpx.AsyncClient, kind: str, headers: dict[str, str], query: str
) -> list[float]:
    """Milliseconds of each request of one mix (several with `pages=N`)."""
    params = [p for p in query.split("&") if p and not p.startswith("pages=")]
    pages = next((int(p[6:]) for p in query.split("&") if p.startswith("pages=")), 1)
    took: list[float] = []
    cursor = None
    for _ in range(pages):
        url = PATHS[kind] + "?" + "&".join(params + ([f"cursor={cursor}"] if cursor else []))
        start = time.perf_counter()
        r = await client.get(url, headers=headers)
        took.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
        cursor = r.json().get("next_cursor") if kind == "list" else None
        if kind == "list" and pages > 1 and cursor is None:
            break
    return took


async def _measure(rounds: int, progress: Callable[[str], None]) -> dict[str, list[float]]:
    unit_id, town = _busiest()
    tokens = {
        "admin": _account("bench_admin", [Role.admin], None),
        "unit": _account("bench_unit_manager", [Role.unit_manager], unit_id),
    }
    month_ago = datetime.now(UTC).date().replace(day=1).isoformat()
    app = create_app()
    by_kind: dict[str, list[float]] = {k: [] for k in PATHS}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for warm in (True, False):
            for kind, who, raw in MIXES:
                query = raw.format(town=town, month_ago=month_ago)
                headers = {"Authorization": f"Bearer {tokens[who]}"}
                took: list[float] = []
                for _ in range(1 if warm else rounds):
                    took += await _time(client, kind, headers, query)
                if not warm:
                    by_kind[kind] += took
                    progress(
                        f"{kind:6} {who:5} {query or '(no filter)'}: "
                        f"p50={_p(took, 0.5):.1f}ms p95={_p(took, 0.95):.1f}ms n={len(took)}"
                    )
    return by_kind


def run(*, cases: int, rounds: int, progress: Callable[[str], None]) -> None:
    top_up(get_engine(), cases, progress)
    by_kind = asyncio.run(_measure(rounds, progress))
    with get_engine().connect() as conn:
        total = int(conn.scalar(text('SELECT count(*) FROM "case"')) or 0)
    progress(f"{total} cases in the database")
    print(
        f"console: cases={cases} list_p95_ms={_p(by_kind['list'], 0.95):.1f}"
        f" map_p95_ms={_p(by_kind['map'], 0.95):.1f}"
        f" counts_p95_ms={_p(by_kind['counts'], 0.95):.1f}"
    )
