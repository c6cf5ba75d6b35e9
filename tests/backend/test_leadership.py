"""The leader lock: one holder at a time per database; released (or its holder's connection
gone) it passes to the next one that tries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.db import Database, open_database
from backend.leadership import AdvisoryLock, leader_lock
from tests.conftest import TEST_KEY


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    yield database
    await database.dispose()


async def test_one_holder_at_a_time_and_the_next_takes_over_on_release(db) -> None:
    first, second = leader_lock(db, "test-lead"), leader_lock(db, "test-lead")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert await first.still_held() and not await second.still_held()
    assert await first.try_acquire()  # asking again while holding it is harmless
    await first.release()
    assert await second.try_acquire()
    assert not await first.try_acquire()
    other = leader_lock(db, "another-lock")  # a different name is a different lock
    assert await other.try_acquire()
    await second.release()
    await other.release()


@pytest.mark.postgres
async def test_a_leader_whose_connection_dies_loses_the_lock_to_a_standby(
    pg_server_url: str, tmp_path: Path
) -> None:
    db = open_database(pg_server_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        leader, standby = AdvisoryLock(db, "test-die"), AdvisoryLock(db, "test-die")
        assert await leader.try_acquire()
        assert not await standby.try_acquire()
        pid = await leader._conn.scalar(text("SELECT pg_backend_pid()"))  # type: ignore[union-attr]
        async with db.engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        assert not await leader.still_held()
        assert await standby.try_acquire()
        await standby.release()
    finally:
        await db.dispose()
