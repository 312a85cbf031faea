"""Alembic environment: runs on the connection given by `urbanops.core.migrate`."""

from __future__ import annotations

from alembic import context

from urbanops.core.migrations_filter import include_object
from urbanops.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
