"""Web processes keep the training library out; the `serve` supervisor keeps the app out.

Each check runs in a fresh interpreter (this test process has long imported everything) and
prints what it imported; the test reads that list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

#: Imported only to train (`urbanops.reports.training`) or to migrate (`urbanops migrate`).
TRAINING_AND_MIGRATION = ("sklearn", "scipy", "alembic", "mako")


PROBE = """
import json, sys
def loaded(*roots):
    return sorted({m.split(".")[0] for m in sys.modules} & set(roots))
"""


def _run(code: str) -> dict[str, object]:
    """Run `PROBE` and `code` in a fresh interpreter with this session's settings; its last
    stdout line, as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE + textwrap.dedent(code)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_a_web_worker_serves_suggestions_without_scikit_learn(engine: Engine) -> None:
    """What a worker of `urbanops serve` does: import and build the app, load the job tasks
    (the in-process job worker, retraining included), warm up (the model is loaded) and
    suggest matters for text."""
    out = _run(
        f"""
        import urbanops.app
        after_import = loaded(*{TRAINING_AND_MIGRATION!r})
        from urbanops.app import create_app
        from urbanops.bootstrap import warm_up
        from urbanops.core.db import unit_of_work
        from urbanops.worker import job_app
        from urbanops.reports import suggest
        create_app()
        job_app()
        warm_up()
        with unit_of_work() as session:
            top = suggest.suggest(session, "路灯坏了一个星期", k=1)
        print(json.dumps({{
            "after_import": after_import,
            "after_serving": loaded(*{TRAINING_AND_MIGRATION!r}),
            "numpy": "numpy" in sys.modules,
            "top": top[0].matter_code if top else None,
        }}))
        """
    )
    assert out["after_import"] == []
    assert out["after_serving"] == []
    assert out["numpy"] is True  # the model is served with numpy
    assert out["top"] == "01037"


@pytest.mark.parametrize("workers", [1, 2])
def test_the_serve_supervisor_imports_neither_the_app_nor_the_database_layer(
    engine: Engine, workers: int
) -> None:
    """`urbanops serve` up to the moment it starts serving (`core.serving.run`, replaced here
    by a probe): the database is prepared in a child process, and the workers get the app as
    an import string."""
    out = _run(
        f"""
        from urbanops.core import serving
        def probe(app, **options):
            print(json.dumps({{
                "app": app,
                "options": options,
                "loaded": loaded(
                    "fastapi", "sqlalchemy", "psycopg", "shapely", "numpy",
                    *{TRAINING_AND_MIGRATION!r},
                ) + sorted(m for m in ("urbanops.app", "urbanops.bootstrap") if m in sys.modules),
            }}))
        serving.run = probe
        from urbanops.cli import app
        app(["serve", "--port", "18999", "--workers", "{workers}"], prog_name="urbanops")
        """
    )
    assert out["app"] == "urbanops.app:serving_app"
    options = out["options"]
    assert isinstance(options, dict) and options["workers"] == workers
    assert out["loaded"] == []


def test_a_preparation_that_fails_stops_serve_with_its_one_line_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URBANOPS_")}
    env |= {
        "URBANOPS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing",
        "URBANOPS_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "urbanops.cli", "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("… ")]
    assert len(errors) == 1 and errors[0].startswith("错误 / error: "), result.stderr
    assert "database unavailable" in errors[0] and "Traceback" not in result.stderr
    assert "UrbanOps is running" not in result.stdout
