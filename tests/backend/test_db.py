"""Migrations and models agree, and personal data is stored encrypted."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend.db import open_database, upgrade_database
from backend.models import Base, Resident
from tests.conftest import TEST_KEY


async def test_migrations_match_the_models(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        assert await upgrade_database(db) is False  # already at head: nothing to apply

        def diff(conn):
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()


async def test_phone_is_encrypted_at_rest(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            session.add(Resident(phone="13812345678", created_at=datetime.now(UTC)))
        async with db.engine.connect() as conn:
            raw = (await conn.execute(text("SELECT phone FROM residents"))).scalar_one()
        assert "13812345678" not in raw
        async with db.sessions() as session:
            resident = await session.get(Resident, 1)
            assert resident is not None and resident.phone == "13812345678"
            assert resident.created_at.tzinfo is not None
    finally:
        await db.dispose()


async def test_a_database_that_is_not_there_is_unreachable(tmp_path) -> None:
    from backend.db import database_unreachable, ping
    from tests.servers import free_port

    nowhere = open_database(
        f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone", secret_key=TEST_KEY, var_dir=tmp_path
    )
    try:
        with pytest.raises(Exception) as refused:
            await ping(nowhere)
        assert database_unreachable(refused.value)
        wrapped = RuntimeError("handling failed")
        wrapped.__cause__ = refused.value
        assert database_unreachable(wrapped)  # found through the causes
    finally:
        await nowhere.dispose()


async def test_bugs_and_conflicts_are_not_an_outage(database_url: str, tmp_path) -> None:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from backend.db import database_unreachable

    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.engine.connect() as conn:
            with pytest.raises(Exception) as missing:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert isinstance(missing.value, ProgrammingError | OperationalError)
        assert not database_unreachable(missing.value)
        async with db.sessions() as session, session.begin():
            session.add(Resident(id=7, created_at=datetime.now(UTC)))
        with pytest.raises(IntegrityError) as twice:
            async with db.sessions() as session, session.begin():
                session.add(Resident(id=7, created_at=datetime.now(UTC)))
        assert not database_unreachable(twice.value)
        assert not database_unreachable(ValueError("a bug"))
    finally:
        await db.dispose()


def test_a_locked_sqlite_file_counts_as_away_and_a_missing_table_does_not() -> None:
    import sqlite3

    from backend.db import database_unreachable

    locked = OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked"))
    assert database_unreachable(locked)
    typo = OperationalError("SELECT ...", {}, sqlite3.OperationalError("no such column: x"))
    assert not database_unreachable(typo)


@pytest.mark.postgres
@pytest.mark.parametrize("idle", [True, False])
async def test_a_pooled_connection_the_server_dropped(
    idle: bool, pg_server_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle in the pool: pinged, replaced, the query works. In steady use (no ping): its query
    fails as "unreachable" (so the message is spooled, not lost) and the next one works."""
    import asyncpg

    import backend.db
    from backend.db import database_unreachable

    monkeypatch.setattr(backend.db, "IDLE_PING_SECONDS", 0.0 if idle else 3600.0)
    db = open_database(pg_server_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(pg_server_url.replace("+asyncpg", ""))
        try:  # the server ends the pooled connection, as a restart would
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        if not idle:
            with pytest.raises(Exception) as dropped:
                async with db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            assert database_unreachable(dropped.value)
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await db.dispose()
