"""Test fixtures: one real PostgreSQL database per test run, schema from the migrations,
reference data committed once, and a transaction per test that is rolled back.

The database is `URBANOPS_TEST_DATABASE_URL` when set; else the server at 127.0.0.1:5432 when it
lets `postgres` in without a password (a fresh database is created and dropped); else an embedded
server started with pgserver.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from urbanops.core import db
from urbanops.core.settings import get_settings

SYSTEM_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _system_server_accepts() -> bool:
    """Whether a PostgreSQL on 127.0.0.1:5432 answers and lets `postgres` in without a password."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return False
    probe = create_engine(SYSTEM_SERVER, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
    finally:
        probe.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    explicit = os.environ.get("URBANOPS_TEST_DATABASE_URL")
    if explicit:
        yield db.normalise_url(explicit)
        return
    if _system_server_accepts():
        name = f"urbanops_test_{uuid.uuid4().hex[:8]}"
        admin = create_engine(SYSTEM_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        db.get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        with tempfile.TemporaryDirectory(prefix="urbanops-pg-") as tmp:
            server = pgserver.get_server(tmp, cleanup_mode="stop")  # type: ignore[attr-defined]
            server.psql("CREATE DATABASE urbanops_test;")
            yield f"postgresql+psycopg://postgres:@/urbanops_test?host={tmp}"
            db.get_engine().dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    os.environ["URBANOPS_DATABASE_URL"] = database_url
    os.environ["URBANOPS_ENV"] = "test"
    os.environ["URBANOPS_HOME"] = tempfile.mkdtemp(prefix="urbanops-test-home-")
    get_settings.cache_clear()
    from urbanops.bootstrap import prepare_database

    engine = db.make_engine(database_url, pool_size=10)
    db.set_engine(engine)
    prepare_database(datetime.now(UTC))
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        try:
            session.close()
            outer.rollback()
        finally:
            connection.close()  # even when the rollback fails: an open one would block the rest
