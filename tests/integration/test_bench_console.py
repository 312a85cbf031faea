"""`urbanops bench console` at a tiny size: it loads synthetic cases, tops them up on a second
run, times the list, map and counts through the application, and ends with its result line.

The benchmark commits to the test database (as it does to the configured one); its cases and
accounts are removed afterwards (synthetic cases have no timeline, so they may be deleted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from bench import console
from bench.console_data import synthetic_count
from sqlalchemy import Engine, text

LAST_LINE = re.compile(
    r"^console: cases=(\d+) list_p95_ms=(\d+\.\d) map_p95_ms=(\d+\.\d) counts_p95_ms=(\d+\.\d)$"
)


@pytest.fixture
def clean(engine: Engine) -> Iterator[None]:
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM \"case\" WHERE substr(number, 9, 1) = 'B'"))
        conn.execute(text("DELETE FROM app_user WHERE username LIKE 'bench\\_%'"))


def test_the_console_benchmark_loads_tops_up_and_prints_its_line(
    engine: Engine, clean: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synthetic_count(engine) == 0
    console.run(cases=2000, rounds=1, progress=print)
    first = capsys.readouterr().out.strip().splitlines()
    match = LAST_LINE.match(first[-1])
    assert match is not None, first[-1]
    assert int(match.group(1)) == 2000 and all(float(g) > 0 for g in match.groups()[1:])
    assert synthetic_count(engine) == 2000
    with engine.connect() as conn:
        statuses: dict[str, int] = dict(
            conn.execute(text('SELECT status, count(*) FROM "case" GROUP BY status')).tuples().all()
        )
        overdue = conn.scalar(text('SELECT count(*) FROM "case" WHERE overdue'))
        towns = conn.scalar(text('SELECT count(DISTINCT town_code) FROM "case"'))
    assert statuses.get("closed", 0) > 1000 and statuses.get("dispatched", 0) > 0
    assert overdue and towns and towns > 20
    console.run(cases=2500, rounds=1, progress=print)
    again = capsys.readouterr().out
    assert "loaded 2500/2500" in again and LAST_LINE.match(again.strip().splitlines()[-1])
    assert synthetic_count(engine) == 2500
