"""The command line against the test database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from urbanops.cli import app
from urbanops.core import geo

runner = CliRunner()


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-04-30", 1, "2026-05-06"),
        ("2026-04-30", 4, "2026-05-09"),
        ("2025-09-26", 2, "2025-09-29"),
        ("2025-09-30", 3, "2025-10-11"),
        ("2025-12-31", 1, "2026-01-04"),
    ],
)
def test_add_workdays_prints_the_due_date_first(
    engine: Engine, start: str, n: int, due: str
) -> None:
    result = runner.invoke(app, ["calendar", "add-workdays", start, str(n)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == due


def test_add_workdays_refuses_a_year_beyond_the_provisional_one(engine: Engine) -> None:
    # 2027 is unpublished, so provisional (weekdays alone); 2028 cannot be counted at all
    result = runner.invoke(app, ["calendar", "add-workdays", "2027-12-28", "10"])
    assert result.exit_code != 0
    assert "2028" in result.output


def test_add_workdays_refuses_a_bad_date(engine: Engine) -> None:
    result = runner.invoke(app, ["calendar", "add-workdays", "2026-02-30", "1"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_locate_prints_one_json_object(engine: Engine) -> None:
    result = runner.invoke(app, ["areas", "locate", "22.8191", "113.6968"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["town_code"] == "441900121" and out["town_name"] == "虎门镇"
    assert {"community_code", "grid_cell_code"} <= out.keys()


def test_locate_converts_gcj02(engine: Engine) -> None:
    glat, glon = geo.wgs84_to_gcj02(22.8191, 113.6968)
    result = runner.invoke(app, ["areas", "locate", str(glat), str(glon), "--datum", "gcj02"])
    assert json.loads(result.output)["town_code"] == "441900121"


def test_locate_outside_exits_non_zero(engine: Engine) -> None:
    result = runner.invoke(app, ["areas", "locate", "23.13", "113.26"])
    assert result.exit_code != 0 and "不在本市" in result.output
    result = runner.invoke(app, ["areas", "locate", "23.0", "113.7", "--datum", "mars"])
    assert result.exit_code != 0


def test_apikey_create_prints_the_key_last(engine: Engine) -> None:
    result = runner.invoke(app, ["apikey", "create", "12345 platform"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].startswith("uo_")


def test_classifier_evaluate_prints_accuracy() -> None:
    result = runner.invoke(app, ["classifier", "evaluate"])
    assert result.exit_code == 0, result.output
    top1 = float(result.output.split("top1=")[1].split()[0])
    top3 = float(result.output.split("top3=")[1].split()[0])
    assert 0.8 <= top1 <= top3 <= 1.0
