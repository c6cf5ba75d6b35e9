"""Migrations and models agree, and personal data is stored encrypted."""

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

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
