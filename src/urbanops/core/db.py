"""Database access: the declarative base, the engine, sessions, and the embedded PostgreSQL server.

PostgreSQL is the only database. When `URBANOPS_DATABASE_URL` is unset, an embedded server is
started with `pgserver`, its data under `URBANOPS_HOME/pgdata`.
"""

from __future__ import annotations

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


def make_engine(url: str, *, pool_size: int = 40) -> Engine:
    # the pool covers every request thread (anyio's default limiter is 40), so connections
    # are reused rather than opened per request; recycled hourly instead of pinged per checkout
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        pool_recycle=3600,
        connect_args={"options": "-c timezone=UTC"},
    )


def get_engine() -> Engine:
    global _engine, _session_factory
    import urbanops.core.models_registry  # noqa: F401  (every table known before any query)

    with _lock:
        if _engine is None:
            settings = get_settings()
            _engine = make_engine(database_url(settings), pool_size=settings.db_pool_size)
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
