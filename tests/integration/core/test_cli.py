"""The command line: in process against the test database, and as a subprocess from another
directory (a fresh embedded home, an unmigrated external database, bad settings)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
import typer
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from urbanops.cli import Root, app, root_options
from urbanops.core import db, geo
from urbanops.core.settings import Settings

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


def test_add_workdays_refuses_a_year_without_a_schedule(engine: Engine) -> None:
    result = runner.invoke(app, ["calendar", "add-workdays", "2027-12-20", "10"])
    assert result.exit_code == 2
    assert "2028" in result.output and "Traceback" not in result.output


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


LINE = re.compile(
    r"classifier: n=(\d+) in_remit=(\d+) top1=([01]\.\d{3}) top3=([01]\.\d{3}) "
    r"auto_rate=([01]\.\d{3}) auto_precision=([01]\.\d{3}) out_of_remit_auto=([01]\.\d{3})"
)
LABELLED = """id,text,in_remit,codes
r1,小区门口的路灯坏了好几天，晚上很黑，麻烦尽快修一下,1,01037
r2,"河涌里面的水又黑又臭,还漂着死鱼,附近居民都受不了",1,06026 06025
r3,我们在工地做了半年，老板一直拖欠工资不发，请帮我们讨薪,0,
r4,孩子读小学的学位申请被退回了，想问积分入学怎么算,0,
"""


def test_classifier_evaluate_scores_a_labelled_file_in_one_last_line(tmp_path: Path) -> None:
    labelled = tmp_path / "hidden.csv"
    labelled.write_text(LABELLED, encoding="utf-8")
    result = runner.invoke(app, ["classifier", "evaluate", "--file", str(labelled)])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    found = LINE.fullmatch(last)
    assert found is not None, last
    n, inside, top1, top3, rate, precision, out = found.groups()
    assert (n, inside) == ("4", "2")
    assert float(top1) <= float(top3) and float(out) in (0.0, 0.5, 1.0)
    assert float(top1) == 1.0 and float(out) == 0.0  # plain cases the shipped corpus covers
    assert "gate:" in result.output


def test_classifier_evaluate_refuses_a_malformed_file_in_one_line(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.csv"
    labelled.write_text("id,text,in_remit\n1,路灯不亮,1\n", encoding="utf-8")
    result = runner.invoke(app, ["classifier", "evaluate", "--file", str(labelled)])
    assert result.exit_code != 0
    assert "codes" in result.output and "Traceback" not in result.output


def test_locate_between_towns_is_snapped(engine: Engine) -> None:
    result = runner.invoke(app, ["areas", "locate", "23.045", "113.758"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["town_name"] == "莞城街道" and out["snapped_m"] > 0
    assert (out["lat"], out["lon"]) == (23.045, 113.758)


# --- the command as a user runs it ----------------------------------------------------------------


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`urbanops ARGS` in `cwd`, with none of this test session's URBANOPS_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("URBANOPS_")}
    script = Path(sys.executable).with_name("urbanops")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "urbanops.cli"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory that is not the checkout."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


@pytest.mark.fresh_machine
def test_fresh_machine_locate_from_another_directory(tmp_path: Path, elsewhere: Path) -> None:
    """The fresh-machine test (slow: initdb, migrations, reference data): a first command in an
    empty home prepares the embedded database itself; the next one finds it ready."""
    home = tmp_path / "home"
    try:
        first = _run(["areas", "locate", "22.8191", "113.6968"], elsewhere, URBANOPS_HOME=str(home))
        assert first.returncode == 0, first.stderr
        out = json.loads(first.stdout)
        assert out["town_code"] == "441900121" and out["snapped_m"] is None
        assert "creating the embedded PostgreSQL" in first.stderr
        assert "applying database migrations" in first.stderr
        assert "Traceback" not in first.stderr
        assert (home / "pgdata" / "PG_VERSION").exists()
        assert not (elsewhere / "var").exists()

        # --debug: should the embedded server's start fail here, the traceback is in the report
        again = _run(
            ["--debug", "areas", "locate", "23.045", "113.758"], elsewhere, URBANOPS_HOME=str(home)
        )
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["snapped_m"] > 0
        assert again.stderr == ""  # prepared: no migrations, no progress
    finally:
        db.stop_embedded(home)


@pytest.fixture
def empty_database(engine: Engine) -> Iterator[str]:
    """A new, unmigrated database on the test server; its URL."""
    name = f"urbanops_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> list[str]:
    probe = create_engine(url)
    try:
        with probe.connect() as conn:
            return list(
                conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            )
    finally:
        probe.dispose()


@pytest.mark.parametrize(
    "args",
    [["areas", "locate", "22.8191", "113.6968"], ["apikey", "create", "x"], ["worker"]],
)
def test_unmigrated_external_database_says_what_to_run(
    empty_database: str, elsewhere: Path, tmp_path: Path, args: list[str]
) -> None:
    result = _run(
        args, elsewhere, URBANOPS_DATABASE_URL=empty_database, URBANOPS_HOME=str(tmp_path)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 / error: ") and "urbanops migrate" in lines[0]
    assert result.stdout == ""
    assert _tables(empty_database) == []  # refused, not migrated behind the operator's back


def test_unreachable_database_is_one_line(elsewhere: Path, tmp_path: Path) -> None:
    result = _run(
        ["areas", "locate", "22.8191", "113.6968"],
        elsewhere,
        URBANOPS_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing",
        URBANOPS_HOME=str(tmp_path),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "数据库" in lines[0] and "127.0.0.1" in lines[0], result.stderr


def test_bad_setting_is_one_line_and_debug_shows_the_traceback(
    elsewhere: Path, tmp_path: Path
) -> None:
    env = {"URBANOPS_DB_POOL_SIZE": "abc", "URBANOPS_HOME": str(tmp_path)}
    result = _run(["areas", "locate", "22.8191", "113.6968"], elsewhere, **env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "错误 / error: 配置项 URBANOPS_DB_POOL_SIZE 的值无效 (invalid URBANOPS_DB_POOL_SIZE: "
        "Input should be a valid integer, unable to parse string as an integer)"
    ]

    debug = _run(["--debug", "areas", "locate", "22.8191", "113.6968"], elsewhere, **env)
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert "pydantic_core._pydantic_core.ValidationError" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == result.stderr.strip()


def test_production_with_the_default_secret_refuses_before_the_database(
    elsewhere: Path, tmp_path: Path
) -> None:
    result = _run(
        ["worker"],
        elsewhere,
        URBANOPS_ENV="production",
        URBANOPS_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing",
        URBANOPS_HOME=str(tmp_path),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "URBANOPS_AUTH__SECRET_KEY" in lines[0], result.stderr


def test_missing_file_is_one_line_before_any_database_work(elsewhere: Path, tmp_path: Path) -> None:
    result = _run(
        ["areas", "import-communities", "nope.geojson"],
        elsewhere,
        URBANOPS_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing",
        URBANOPS_HOME=str(tmp_path),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "错误 / error: 文件不存在：nope.geojson (no such file: nope.geojson)"
    ]


def _app_raising(exc: Exception) -> typer.Typer:
    """A command line built like `urbanops` whose one command raises `exc`."""
    test_app = typer.Typer(cls=Root, pretty_exceptions_enable=False)
    test_app.callback()(root_options)

    @test_app.command()
    def boom() -> None:
        raise exc

    @test_app.command()
    def fine() -> None:
        typer.echo("ok")

    return test_app


def test_unexpected_error_is_one_line_pointing_at_debug() -> None:
    test_app = _app_raising(ZeroDivisionError("division by zero"))
    result = runner.invoke(test_app, ["boom"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "ZeroDivisionError" in lines[0] and "--debug" in lines[0]

    debug = runner.invoke(test_app, ["--debug", "boom"])
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.output
    assert runner.invoke(test_app, ["fine"]).output == "ok\n"


def test_home_is_per_user_and_relative_values_resolve_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("URBANOPS_HOME", raising=False)
    tmp_path = tmp_path.resolve()
    monkeypatch.chdir(tmp_path)
    assert Settings().home == Path(platformdirs.user_data_dir("urbanops"))
    monkeypatch.setenv("URBANOPS_HOME", "data/uo")
    settings = Settings()
    monkeypatch.chdir("/")
    assert settings.home == tmp_path / "data" / "uo"
    assert settings.media_dir == tmp_path / "data" / "uo" / "media"
