"""Database access: the declarative base, the engine, sessions, and the embedded PostgreSQL server.

PostgreSQL is the only database. When `URBANOPS_DATABASE_URL` is unset, an embedded server is
started with `pgserver`, its data under `URBANOPS_HOME/pgdata`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import pydantic_core
from sqlalchemy import Column, DateTime, Engine, MetaData, create_engine, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapper,
    Session,
    make_transient_to_detached,
    sessionmaker,
)

from urbanops.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


_lock = threading.Lock()
_embedded: Any = None
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def _embedded_url(home: Path) -> str:
    """Start (or join) the embedded PostgreSQL server and return a SQLAlchemy URL for it."""
    global _embedded
    with warnings.catch_warnings():
        # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (headless servers)
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: only embedded mode needs it

    data_dir = (home / "pgdata").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if _embedded is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _embedded = pgserver.get_server(  # type: ignore[attr-defined]
                str(data_dir), cleanup_mode="stop"
            )
    exists = _embedded.psql("SELECT 1 FROM pg_database WHERE datname = 'urbanops';")
    if "1 row" not in exists:
        _embedded.psql("CREATE DATABASE urbanops;")
    return f"postgresql+psycopg://postgres:@/urbanops?host={data_dir}"


def stop_embedded(home: Path) -> None:
    """Stop the embedded PostgreSQL under `home` if it still runs. `serve --workers N` needs
    this: its worker processes never release their pgserver handle, so it would outlive them."""
    data_dir = (home / "pgdata").resolve()
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if str(data_dir).encode() not in f.read():
                return  # a stale pid file: the number belongs to another process now
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
    except (OSError, ValueError, IndexError):
        return


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return _embedded_url(settings.home)


def is_embedded(settings: Settings | None = None) -> bool:
    return not (settings or get_settings()).database_url


def make_engine(
    url: str, *, pool_size: int = 40, max_overflow: int = 10, pgbouncer: bool = False
) -> Engine:
    # connections are reused rather than opened per request, and recycled hourly instead of
    # pinged per checkout; `pool_size` is this process's share of the server (`pool_plan`)
    connect_args: dict[str, Any] = {"options": "-c timezone=UTC"}
    if pgbouncer:  # transaction pooling: a prepared statement may meet another server session
        connect_args["prepare_threshold"] = None
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=3600,
        connect_args=connect_args,
    )


# --- connections: each process's share of the server ------------------------------------------

MAX_POOL = 40  # a web process's request threads (anyio's default limiter)
RESERVED = 5  # left for `urbanops migrate`, psql, the CLI and the supervisor of `serve`
JOB_WORKER_CONCURRENCY = 4  # `urbanops worker`'s default


# connections a process's job worker opens beside its SQLAlchemy pool (where its tasks run):
# procrastinate's pool (3) and listener (1), and the outbox drainer (1)
JOB_CONNECTIONS = 5


def pool_plan(
    limit: int, *, web_workers: int, job_workers: int, job_concurrency: int | None = None
) -> int:
    """The SQLAlchemy pool size of one process, so that `web_workers` web processes and
    `job_workers` `urbanops worker` processes stay within `limit` connections together.

    A job worker (`job_concurrency` given) needs one connection per task running at once, plus
    one; the web processes share the rest, less `RESERVED`, each at most `MAX_POOL`.
    """
    if job_concurrency is not None:
        return job_concurrency + 1
    per_job_worker = JOB_WORKER_CONCURRENCY + 1 + JOB_CONNECTIONS
    free = limit - RESERVED - job_workers * per_job_worker
    return max(2, min(MAX_POOL, free // max(1, web_workers)))


def server_connection_limit(url: str) -> int:
    """The connections that ordinary roles may open on the server: `max_connections` less the
    slots reserved for superusers (and, from PostgreSQL 16, for `pg_use_reserved_connections`)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, setting::int FROM pg_settings WHERE name IN"
            " ('max_connections', 'superuser_reserved_connections', 'reserved_connections')"
        ).fetchall()
    values: dict[str, int] = {str(name): int(value) for name, value in rows}
    reserved = sum(v for k, v in values.items() if k != "max_connections")
    return values["max_connections"] - reserved


_job_concurrency: int | None = None


def size_for_job_worker(concurrency: int) -> None:
    """This process is an `urbanops worker` running `concurrency` tasks at once: its pool is
    sized for them (call before the first query)."""
    global _job_concurrency
    _job_concurrency = concurrency


def process_pool_size(settings: Settings, url: str) -> int:
    """This process's pool: `db_pool_size` when set, else its share of the server's limit
    (`db_max_connections`, or read from the server at start-up)."""
    if settings.db_pool_size is not None:
        return settings.db_pool_size
    if _job_concurrency is not None:
        return pool_plan(0, web_workers=1, job_workers=0, job_concurrency=_job_concurrency)
    limit = settings.db_max_connections or server_connection_limit(url)
    size = pool_plan(limit, web_workers=settings.web_workers, job_workers=settings.db_job_workers)
    embedded_worker = is_embedded(settings) and settings.embedded_worker
    if embedded_worker:  # `serve`'s in-process worker: its own connections come off the share
        size = max(2, size - JOB_CONNECTIONS)
    log.info("database pool: %d connections (server limit %d)", size, limit)
    return size


def get_engine() -> Engine:
    global _engine, _session_factory

    with _lock:
        if _engine is None:
            settings = get_settings()
            url = database_url(settings)
            _engine = make_engine(  # a hard bound: no overflow past this process's share
                url,
                pool_size=process_pool_size(settings, url),
                max_overflow=0,
                pgbouncer=settings.db_pgbouncer,
            )
            _session_factory = sessionmaker(_engine, expire_on_commit=False)
        return _engine


def set_engine(engine: Engine) -> None:
    """Use an engine made elsewhere (tests, benchmarks)."""
    global _engine, _session_factory
    with _lock:
        _engine = engine
        _session_factory = sessionmaker(engine, expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _session_factory is not None
    return _session_factory


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits once at the end, or rolls everything back on error."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(session: Session) -> bool:
    return bool(session.execute(text("SELECT 1")).scalar_one() == 1)


# --- rows written with a Core INSERT, kept as ORM instances -------------------------------------

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


@cache
def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, Column[Any]], ...]:
    """(attribute, column) of the columns an INSERT from `insert_values` writes: all but the
    primary key and those the database fills in itself (server defaults, sequences)."""
    out = []
    for prop in mapper.column_attrs:
        column = cast(Column[Any], prop.columns[0])
        default = column.default
        if (
            column.primary_key
            or column.server_default is not None
            or (default is not None and not (default.is_scalar or default.is_callable))
        ):
            continue
        out.append((prop.key, column))
    return tuple(out)


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    return default.arg(None)  # type: ignore[attr-defined]


def insert_values(obj: Base) -> dict[str, Any]:
    """The row of a new instance for an INSERT, keyed by column name. Columns left unset get
    their defaults, on the instance too (an INSERT inside a CTE applies no Python-side
    defaults); the primary key and server defaults are left to the database."""
    values = obj.__dict__
    row = {}
    for attr, column in _columns(inspect(obj).mapper):
        if attr not in values:
            setattr(obj, attr, _default(column))
        row[column.name] = values[attr]
    return row


def written_columns(model: type[Base]) -> list[str]:
    """The column names of the rows `insert_values` makes for `model`."""
    return [column.name for _, column in _columns(inspect(model))]


def quote(name: str) -> str:
    """An identifier for hand-written SQL, quoted when PostgreSQL needs it (`"case"`)."""
    return _PG.identifier_preparer.quote(name)


def to_json(value: Any) -> str:
    """JSON for rows passed as one parameter; datetimes in ISO 8601 with their offset (pydantic's
    encoder: a few times faster than `json.dumps` with a `default` for datetimes)."""
    return pydantic_core.to_json(value).decode()


def attach_inserted(session: Session, *objs: Base) -> None:
    """Make new instances whose rows a Core INSERT wrote from `insert_values` (with what the
    database generated set on them) persistent in `session`, without reading them back."""
    for obj in objs:
        make_transient_to_detached(obj)
        session.add(obj)
