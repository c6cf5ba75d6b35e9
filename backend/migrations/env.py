"""Alembic environment: runs on a connection handed in by backend.db (async engines)."""

from __future__ import annotations

from alembic import context

from backend.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `jiefen db upgrade`, which opens the database")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline SQL generation is not supported; use `jiefen db upgrade`")
run_migrations_online()
