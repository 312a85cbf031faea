"""The `urbanops` command line.

Every command runs under `Root`, which turns expected errors (domain errors, an unreachable
database, a bad `URBANOPS_*` value, a missing file) into one line on stderr and exit code 2, and
any other error into one line and exit code 1; `urbanops --debug …` prints the traceback too.
A command that uses the database calls `require_database()` first (an empty embedded database
is prepared there; an external one that is not migrated is refused with what to run).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from urbanops.core.clock import utcnow
from urbanops.core.errors import DomainError


class CommandError(DomainError):
    """An error of the command line itself (bad argument, unsafe configuration)."""

    default_code = "command_error"


def _expected(exc: BaseException) -> tuple[str, str] | None:
    """(zh, en) for an error the user can act on, None for anything else."""
    import psycopg
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, DomainError):
        return exc.message, exc.message_en
    if isinstance(exc, OperationalError | psycopg.OperationalError):
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return "无法连接数据库或数据库出错", "database unavailable: " + (
            detail[0] if detail else type(exc).__name__
        )
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        name = "URBANOPS_" + "__".join(str(part) for part in first["loc"]).upper()
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"配置项 {name} 的值无效", f"invalid {name}: {first['msg']}{more}"
    if isinstance(exc, OSError) and exc.filename is not None:
        if isinstance(exc, FileNotFoundError):
            return f"文件不存在：{exc.filename}", f"no such file: {exc.filename}"
        return f"无法读取文件：{exc.filename}", f"cannot read {exc.filename}: {exc.strerror}"
    return None


class Root(TyperGroup):
    """The root command group: errors become one line (with the traceback under --debug)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # exits, usage errors: typer reports them
        except Exception as exc:
            if ctx.params.get("debug"):
                typer.echo("".join(traceback.format_exception(exc)).rstrip(), err=True)
            expected = _expected(exc)
            if expected is not None:
                typer.echo(f"错误 / error: {expected[0]} ({expected[1]})", err=True)
                raise typer.Exit(code=2) from None
            summary = (str(exc).strip().splitlines() or [""])[0]
            typer.echo(
                f"错误 / error: 意外错误 (unexpected error: {type(exc).__name__}: {summary}); "
                "加 --debug 查看详情 / run with --debug for details",
                err=True,
            )
            raise typer.Exit(code=1) from None


def root_options(
    debug: Annotated[bool, typer.Option("--debug", help="print the traceback of an error")] = False,
) -> None:
    """UrbanOps — 城市运行管理服务平台"""


app = typer.Typer(
    cls=Root,
    help="UrbanOps — 城市运行管理服务平台",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(root_options)
calendar_app = typer.Typer(help="Working-day calendar", no_args_is_help=True)
areas_app = typer.Typer(
    help="Areas: locate points, community polygons, the grid", no_args_is_help=True
)
apikey_app = typer.Typer(help="API keys for other systems", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks", no_args_is_help=True)
classifier_app = typer.Typer(help="The report classifier", no_args_is_help=True)
rewards_app = typer.Typer(help="The 全莞拍 points", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(areas_app, name="areas")
app.add_typer(apikey_app, name="apikey")
app.add_typer(bench_app, name="bench")
app.add_typer(classifier_app, name="classifier")
app.add_typer(rewards_app, name="rewards")

Host = Annotated[str, typer.Option(help="interface to listen on")]
Port = Annotated[int, typer.Option(help="port to listen on")]


def progress(message: str) -> None:
    typer.echo(f"… {message}", err=True)


def require_database() -> None:
    """For a command that uses the database: prepare an empty embedded one (with progress on
    stderr), or refuse an external one that is not migrated; one query when it is ready."""
    from urbanops.bootstrap import ensure_database

    ensure_database(utcnow(), progress)


def check_production() -> None:
    """Refuse to start a server or worker that production's settings forbid."""
    from urbanops.core.settings import get_settings

    try:
        get_settings().check_production()
    except DomainError:
        raise
    except RuntimeError as exc:
        raise CommandError(
            "生产环境配置不安全，拒绝启动", message_en=str(exc) or "unsafe production settings"
        ) from exc


def existing_file(path: Path) -> Path:
    """`path` if it is a readable file (checked before any slow preparation)."""
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    return path


Workers = Annotated[int, typer.Option(min=1, max=64, help="web worker processes")]


def _hold_embedded(home: Path) -> Any:
    """Start (or join) the embedded PostgreSQL under `home` and keep a handle on it while the
    server runs, so that the preparing child and the workers join one running server instead of
    each starting and stopping it (pgserver stops it when its last handle goes). pgserver alone:
    the database layer (`core.db`) is the workers' business."""
    import warnings

    data_dir = (home / "pgdata").resolve()
    if not (data_dir / "PG_VERSION").exists():
        progress(f"creating the embedded PostgreSQL under {data_dir} (first run)")
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver

        return pgserver.get_server(str(data_dir), cleanup_mode="stop")  # type: ignore[attr-defined]


def _prepare_in_child(*, demo: bool, debug: bool) -> list[tuple[str, str, str]]:
    """Run `urbanops prepare-serve` in a child process (its progress goes to our stderr); the
    demo logins it prints. A failure exits with the child's code after its one-line error."""
    import subprocess

    command = [sys.executable, "-m", "urbanops.cli", *(["--debug"] if debug else [])]
    command += ["prepare-serve", *(["--demo"] if demo else [])]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise typer.Exit(code=result.returncode)
    last = (result.stdout.strip().splitlines() or ["[]"])[-1]
    return [(str(u), str(p), str(n)) for u, p, n in json.loads(last)]


def _serve(ctx: typer.Context, host: str, port: int, *, demo: bool, workers: int = 1) -> None:
    """Prepare the database in a child process, then let uvicorn build the app from
    `urbanops.app:serving_app` (in each worker with `--workers N`). The supervisor thus keeps
    neither the app nor the migrations, reference data and training code: typer, uvicorn, the
    settings and a pgserver handle (~30 MiB instead of ~185)."""
    from urbanops.core import serving
    from urbanops.core.settings import get_settings

    check_production()
    settings = get_settings()
    # each web process takes its share of the database's connections (`core.db.pool_plan`)
    os.environ["URBANOPS_WEB_WORKERS"] = str(workers)
    if demo:
        # demo mode shows one-time codes on the sign-in page; worker processes inherit it
        os.environ["URBANOPS_DEMO_MODE"] = "true"
        settings.demo_mode = True
    embedded = not settings.database_url  # `core.db.is_embedded`, without the database layer
    server = _hold_embedded(settings.home) if embedded else None
    logins = _prepare_in_child(demo=demo, debug=bool(ctx.find_root().params.get("debug")))
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"UrbanOps is running at {url}")
    typer.echo(f"  citizen app:   {url}/m/")
    typer.echo(f"  command centre: {url}/console")
    typer.echo(f"  API docs:      {url}/docs")
    typer.echo(f"  health:        {url}/healthz")
    if demo:
        typer.echo("  demo logins (username / password):")
        for username, password, name in logins:
            typer.echo(f"    {username:<14} {password:<10} {name}")
    # an import string: with --workers N only the workers import the app (each joins the
    # embedded server); with one worker, this process does
    serving.run(  # with N workers, one socket each (SO_REUSEPORT): connections spread evenly
        "urbanops.app:serving_app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning" if workers > 1 else "info",
    )
    if server is not None and workers > 1:
        from urbanops.core.db import stop_embedded

        stop_embedded(settings.home)  # the workers never release their handles


@app.command("prepare-serve", hidden=True)
def prepare_serve(demo: Annotated[bool, typer.Option("--demo")] = False) -> None:
    """What `serve` and `demo` run in a child process before serving: migrations, reference
    data, a classifier if none is usable, the demo data; prints the demo logins as JSON."""
    from urbanops.bootstrap import demo_logins, load_demo, prepare_database

    # the server prepares its database itself, embedded or not (migrations, reference data)
    prepare_database(utcnow(), progress)
    if demo:
        if load_demo(utcnow(), progress):
            progress("demo data loaded")
        else:
            progress("demo data already loaded")
    typer.echo(json.dumps(demo_logins() if demo else [], ensure_ascii=False))


@app.command()
def serve(
    ctx: typer.Context, host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1
) -> None:
    """Run the platform (migrations and reference data first)."""
    _serve(ctx, host, port, demo=False, workers=workers)


@app.command()
def demo(
    ctx: typer.Context,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    accounts: Annotated[
        bool,
        typer.Option(
            "--accounts",
            help="Print the demo accounts as one JSON list and exit without serving "
            "(the demo data is loaded first if it is not yet; a running demo server may share "
            "the data).",
        ),
    ] = False,
) -> None:
    """Load the demo data unless already loaded, then serve."""
    if accounts:
        _print_demo_accounts(ctx)
        return
    _serve(ctx, host, port, demo=True, workers=workers)


def _print_demo_accounts(ctx: typer.Context) -> None:
    """The demo accounts (`bootstrap.demo_accounts`) on stdout, progress on stderr."""
    from urbanops.core.settings import get_settings

    settings = get_settings()
    # joins the embedded server a running `urbanops demo` holds, or starts it for a moment
    server = _hold_embedded(settings.home) if not settings.database_url else None
    _prepare_in_child(demo=True, debug=bool(ctx.find_root().params.get("debug")))
    from urbanops.bootstrap import demo_accounts
    from urbanops.core.db import unit_of_work

    with unit_of_work() as session:
        listed = demo_accounts(session)
    typer.echo(json.dumps(listed, ensure_ascii=False, indent=2))
    del server


@app.command()
def migrate() -> None:
    """Apply migrations and load the reference data."""
    from urbanops.bootstrap import prepare_database

    prepare_database(utcnow(), progress)
    typer.echo("database is up to date")


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, max=64)] = 4) -> None:
    """Run a job worker (any number of machines may run workers)."""
    from urbanops.core.db import size_for_job_worker
    from urbanops.worker import run_worker

    check_production()
    size_for_job_worker(concurrency)  # its pool: one connection per task at once, plus one
    require_database()
    progress(f"worker starting with concurrency {concurrency}")
    run_worker(concurrency)


@calendar_app.command("add-workdays")
def add_workdays(start: str, n: int) -> None:
    """Print the N-th working day after START (YYYY-MM-DD), counting from the next day."""
    from urbanops.cases.clock import working_calendar
    from urbanops.core.db import unit_of_work

    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise CommandError(
            f"日期格式应为 YYYY-MM-DD：{start!r}", message_en=f"dates are YYYY-MM-DD: {start!r}"
        ) from None
    require_database()
    with unit_of_work() as session:
        calendar = working_calendar(session)
        due = calendar.count_workdays(day, n)
    typer.echo(due.day.isoformat())
    if due.provisional:
        years = "、".join(str(y) for y in sorted(calendar.provisional_years))
        typer.echo(
            f"provisional（{years} 年节假日安排未发布，暂按周一至周五计算"
            f" / the {years} schedule is not published: counted Mon–Fri）"
        )
    typer.echo(f"{n} working days after {day.isoformat()} (counting from the next day)")


@calendar_app.command("import")
def calendar_import(
    path: Path,
    publish: Annotated[
        bool, typer.Option("--publish", help="publish at once (needed to correct a published year)")
    ] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="check the file, write nothing")
    ] = False,
) -> None:
    """Stage a year's holiday schedule (holiday-cn JSON, or CSV of date,off|on[,name])."""
    from urbanops.admin import calendar as admin
    from urbanops.core.db import unit_of_work
    from urbanops.identity.roles import SYSTEM

    data = existing_file(path).read_bytes()
    require_database()
    with unit_of_work() as session:
        result = admin.import_schedule(
            session,
            actor=SYSTEM,
            now=utcnow(),
            data=data,
            filename=path.name,
            publish=publish,
            preview=preview,
        )
    typer.echo("\n".join(admin.import_lines(result)))


@calendar_app.command("publish")
def calendar_publish(year: int) -> None:
    """Publish an imported year; deadlines that depend on it are recomputed."""
    from urbanops.admin import calendar as admin
    from urbanops.core.db import unit_of_work
    from urbanops.identity.roles import SYSTEM

    require_database()
    with unit_of_work() as session:
        result = admin.publish_year(session, actor=SYSTEM, now=utcnow(), year=year)
    typer.echo(f"{year}: 已发布 / published")
    typer.echo(f"重算时限的案件 / cases with a recomputed deadline: {result.recomputed}")
    typer.echo(f"暂按工作日计算的年份 / provisional year now: {result.provisional_year}")


@calendar_app.command("show")
def calendar_show(year: int) -> None:
    """Show a year's schedule: status (draft/published), days off and make-up working days."""
    from urbanops.admin import calendar as admin
    from urbanops.core.db import unit_of_work

    require_database()
    with unit_of_work() as session:
        view = admin.year_view(session, year)
    typer.echo("\n".join(admin.view_lines(view)))


@areas_app.command("locate")
def areas_locate(
    lat: float,
    lon: float,
    datum: Annotated[str, typer.Option(help="wgs84 | gcj02 | bd09")] = "wgs84",
) -> None:
    """Print the town, community and grid cell of a point as one JSON object (`snapped_m`: metres
    to the nearest town when the point lies between towns or just off the city's edge)."""
    from urbanops.areas import service
    from urbanops.core.db import unit_of_work

    require_database()
    with unit_of_work() as session:
        wlat, wlon, loc = service.locate(session, lat, lon, datum)
    typer.echo(json.dumps({**loc.__dict__, "lat": wlat, "lon": wlon}, ensure_ascii=False))


@areas_app.command("import-communities")
def import_communities(
    path: Path,
    code_property: Annotated[
        str, typer.Option(help="feature property holding the 12-digit code")
    ] = "code",
) -> None:
    """Import community polygons from GeoJSON and rebuild the grid."""
    from urbanops.areas import reference, service
    from urbanops.core.db import unit_of_work
    from urbanops.core.settings import get_settings

    existing_file(path)
    require_database()
    with unit_of_work() as session:
        n = reference.import_community_polygons(session, path, code_property)
        progress(f"imported {n} community polygons")
        cells = reference.generate_grid(
            session, get_settings().geo.grid_cell_size_m, progress=progress
        )
    service.invalidate()
    typer.echo(f"imported {n} communities; grid rebuilt with {cells} cells")


@areas_app.command("grid")
def areas_grid(cell_size: Annotated[float, typer.Option(min=50, max=5000)] = 500) -> None:
    """Rebuild the grid of cells over the towns."""
    from urbanops.areas import reference
    from urbanops.core.db import unit_of_work

    require_database()
    with unit_of_work() as session:
        cells = reference.generate_grid(session, cell_size, progress=progress)
    typer.echo(f"grid rebuilt with {cells} cells")


@apikey_app.command("create")
def apikey_create(name: str) -> None:
    """Create an API key; the key is printed once, on the last line."""
    from urbanops.core.db import unit_of_work
    from urbanops.identity.service import create_api_key

    require_database()
    with unit_of_work() as session:
        row, secret = create_api_key(session, name)
    typer.echo(f"API key #{row.id} for {row.name!r} (store it now: it is not shown again)")
    typer.echo(secret)


@rewards_app.command("reset")
def rewards_reset(
    period: Annotated[
        str, typer.Argument(help="the period's name, e.g. 2026Q4 or a campaign's; once per name")
    ],
) -> None:
    """Expire every citizen's available points (积分清零); pending points stay. Running it
    again with the same period expires nothing more."""
    from urbanops.rewards.jobs import reset_all

    if not period.replace("-", "").replace("_", "").isalnum() or len(period) > 40:
        raise typer.BadParameter("letters, digits, - and _ only (at most 40)")
    require_database()
    typer.echo(f"rewards reset {period}: {reset_all(period)} citizens")


@rewards_app.command("project")
def rewards_project() -> None:
    """Read the case timeline into points now (the worker does it after every change)."""
    from urbanops.rewards.jobs import project_all

    require_database()
    typer.echo(f"rewards projection: {project_all()} timeline rows read")


def _bench(name: str) -> Any:
    """The `run` of the benchmark module `bench/<name>.py`, which lives in the source tree."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    try:
        return importlib.import_module(f"bench.{name}").run
    except ImportError:
        typer.echo(
            "the benchmark code (bench/) is in the source tree; run from a checkout", err=True
        )
        raise typer.Exit(code=2) from None


@bench_app.command("intake")
def bench_intake(
    reports: Annotated[int, typer.Option(min=1)] = 2000,
    concurrency: Annotated[int, typer.Option(min=1, max=512)] = 32,
    via: Annotated[str, typer.Option(help="api | open311")] = "api",
    workers: Annotated[int, typer.Option(min=1, max=16, help="server worker processes")] = 2,
    classify: Annotated[
        bool, typer.Option("--classify", help="texts of the evaluation set, no matter given")
    ] = False,
) -> None:
    """Submit reports over HTTP to a server started here, and compare with the database's ceiling."""
    run = _bench("intake")
    run(
        reports=reports,
        concurrency=concurrency,
        via=via,
        progress=progress,
        workers=workers,
        classify=classify,
    )


@bench_app.command("console")
def bench_console(
    cases: Annotated[int, typer.Option(min=1, help="synthetic cases to have in the database")],
    rounds: Annotated[int, typer.Option(min=1, max=1000, help="times each request is sent")] = 20,
) -> None:
    """Load synthetic cases (topping up earlier ones) into the configured database and time
    the console's list, map and counts as an administrator and as a unit manager."""
    run = _bench("console")
    require_database()
    run(cases=cases, rounds=rounds, progress=progress)


@bench_app.command("redeem")
def bench_redeem(
    stock: Annotated[int, typer.Option(min=0, max=100000, help="the prize's stock")] = 50,
    concurrency: Annotated[
        int, typer.Option(min=1, max=5000, help="citizens redeeming at the same moment")
    ] = 200,
) -> None:
    """Race C citizens (each with enough points) to redeem one prize of stock S in the
    configured database; the last line says how many won, whether any was oversold and whether
    the ledger adds up."""
    run = _bench("redeem")
    require_database()
    run(stock=stock, concurrency=concurrency, progress=progress)


@bench_app.command("board")
def bench_board(
    citizens: Annotated[
        int, typer.Option(min=1, max=10_000_000, help="citizens on this week's city board")
    ] = 1_000_000,
    rounds: Annotated[int, typer.Option(min=2, max=10_000, help="reads timed of each kind")] = 200,
) -> None:
    """Put N citizens on a board in one transaction (rolled back at the end: nothing stays)
    and time its top 50, one citizen's rank and a posting; the last line gives the p95s."""
    run = _bench("board")
    require_database()
    run(citizens=citizens, rounds=rounds, progress=progress)


@classifier_app.command("evaluate")
def classifier_evaluate(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="labelled CSV: id,text,in_remit,codes (codes space-separated, best first, "
            "empty when out of remit); default: the project's evaluation set",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    active: Annotated[
        bool, typer.Option("--active", help="score the database's active model instead")
    ] = False,
) -> None:
    """Score the classifier and its dispatch gate on labelled messages. The model is trained
    here from the packaged corpus, its gate chosen on the evaluation set for
    `intake.auto_dispatch_precision` (or, with --active, the model the platform serves). The
    last line: classifier: n= in_remit= top1= top3= auto_rate= auto_precision= out_of_remit_auto="""
    from urbanops.core.settings import get_settings
    from urbanops.reports import evaluation

    rows = evaluation.read_labelled(file) if file else evaluation.evaluation_set()
    if active:
        from urbanops.core.db import unit_of_work
        from urbanops.reports.suggest import active_model

        require_database()
        with unit_of_work() as session:
            model = active_model(session, fresh=True)
        if model is None:
            typer.echo("no usable active model: run `urbanops classifier train`", err=True)
            raise typer.Exit(code=2)
    else:
        from urbanops.reports import training

        samples = evaluation.packaged_samples()
        intake = get_settings().intake
        target, limit = intake.auto_dispatch_precision, intake.auto_dispatch_max_out_of_remit
        typer.echo(
            f"… training on {len(samples)} messages "
            f"(gate: precision ≥ {target}, out-of-remit dispatched ≤ {limit})"
        )
        model = training.train_gated(
            samples, evaluation.evaluation_set(), target, max_out_of_remit=limit
        )
    gate = model.gate
    if gate is None:
        typer.echo("gate: none reaches the target precision: nothing is dispatched automatically")
    else:
        held = {k: v for k, v in gate.measured.items() if k.startswith("holdout_")}
        typer.echo(
            f"gate: in_remit>={gate.remit:.3f} matter>={gate.matter:.3f} (target {gate.target}); "
            + " ".join(f"{k}={v:.3f}" for k, v in held.items())
        )
    typer.echo(evaluation.evaluate(model, rows).line())


@classifier_app.command("train")
def classifier_train(
    force: Annotated[
        bool, typer.Option("--force", help="publish even if it does worse than the active one")
    ] = False,
) -> None:
    """Retrain from the corpus and the clerks' decisions, and activate the model unless it does
    worse on the evaluation set (scikit-learn runs in a child process; the stored model is
    plain arrays)."""
    from urbanops.core.db import unit_of_work
    from urbanops.reports.suggest import train_and_store

    require_database()
    with unit_of_work() as session:
        done = train_and_store(session, utcnow(), force=force)
        row = done.row
        typer.echo(f"model #{row.id}: {row.samples} samples ({row.corrections} clerk decisions)")
        if done.refused:
            typer.echo(f"not published: {done.refused} (--force publishes it)")
            raise typer.Exit(code=1)


if __name__ == "__main__":
    app(prog_name="urbanops")
