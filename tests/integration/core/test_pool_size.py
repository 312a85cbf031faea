"""A process reads the server's connection limit at start-up and takes its share of it."""

from __future__ import annotations

from sqlalchemy import Engine, text

from urbanops.core.db import process_pool_size, server_connection_limit
from urbanops.core.settings import Settings


def test_the_limit_is_the_servers_less_its_reserved_slots(
    engine: Engine, database_url: str
) -> None:
    with engine.connect() as conn:
        most = int(conn.execute(text("SHOW max_connections")).scalar_one())
        superuser = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    limit = server_connection_limit(database_url)
    assert 0 < limit <= most - superuser


def test_a_web_process_takes_its_share(database_url: str) -> None:
    settings = Settings(
        database_url=database_url, db_max_connections=60, web_workers=3, db_job_workers=1
    )
    assert process_pool_size(settings, database_url) == (60 - 5 - 10) // 3
    read = Settings(database_url=database_url, web_workers=1, db_job_workers=0)
    expected = min(40, server_connection_limit(database_url) - 5)
    assert process_pool_size(read, database_url) == max(2, expected)


def test_a_fixed_pool_size_wins(database_url: str) -> None:
    settings = Settings(database_url=database_url, db_pool_size=7, db_max_connections=60)
    assert process_pool_size(settings, database_url) == 7
