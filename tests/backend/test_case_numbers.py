import asyncio

import pytest
from sqlalchemy import insert, select, text

from backend.case_numbers import next_case_number
from backend.db import Database, downgrade_database, open_database, upgrade_database
from backend.models import CaseNumberCounter
from tests.conftest import TEST_KEY, truncate_all


async def test_numbers_count_up_per_year(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            first = await next_case_number(session, 2026)
            second = await next_case_number(session, 2026)
            other_year = await next_case_number(session, 2027)
        assert (first, second, other_year) == ("2026-000001", "2026-000002", "2027-000001")
    finally:
        await db.dispose()


async def test_concurrent_submissions_never_share_a_number(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)

    async def one() -> str:
        async with db.sessions() as session, session.begin():
            return await next_case_number(session, 2026)

    try:
        numbers = await asyncio.gather(*(one() for _ in range(20)))
        assert len(set(numbers)) == 20
        assert sorted(numbers)[-1] == "2026-000020"
    finally:
        await db.dispose()


async def test_a_filing_that_rolls_back_gives_its_number_up_only_on_sqlite(
    database_url: str, tmp_path
) -> None:
    """The documented difference (docs/case-numbers.md): SQLite's counter never skips; a
    PostgreSQL sequence does not give a drawn number back."""
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            await next_case_number(session, 2026)
            await session.rollback()
        async with db.sessions() as session, session.begin():
            after_rollback = await next_case_number(session, 2026)
        expected = "2026-000001" if db.is_sqlite else "2026-000002"
        assert after_rollback == expected
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_filing_does_not_wait_for_another_still_open(pg_server_url: str, tmp_path) -> None:
    """The reason for the sequences: an open filing holds nothing the next one needs."""
    await truncate_all(pg_server_url)
    db = open_database(pg_server_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as slow, slow.begin():
            held = await next_case_number(slow, 2026)
            async with db.sessions() as quick, quick.begin():
                await quick.execute(text("SET LOCAL lock_timeout = '2s'"))
                drawn = await next_case_number(quick, 2026)
        assert (held, drawn) == ("2026-000001", "2026-000002")
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_two_first_filings_of_a_year_share_its_new_sequence(
    pg_server_url: str, tmp_path
) -> None:
    """Both create the year's sequence at once; the second waits for the first to commit, then
    uses the sequence the first made instead of failing the filing."""
    await truncate_all(pg_server_url)
    db = open_database(pg_server_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        first_drew = asyncio.Event()

        async def second() -> str:
            await first_drew.wait()
            async with db.sessions() as session, session.begin():
                return await next_case_number(session, 2031)

        waiting = asyncio.create_task(second())
        async with db.sessions() as session, session.begin():
            first = await next_case_number(session, 2031)
            first_drew.set()
            await _until_a_session_waits_on_a_lock(db)
        assert (first, await waiting) == ("2031-000001", "2031-000002")
    finally:
        await db.dispose()


async def _until_a_session_waits_on_a_lock(db: Database) -> None:
    for _ in range(2000):
        async with db.sessions() as watcher:
            waiting = await watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the second filing never waited for the first")


@pytest.mark.postgres
async def test_the_migration_goes_on_from_the_counter_and_back(
    unmigrated_pg_url: str, tmp_path
) -> None:
    db = open_database(unmigrated_pg_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        await upgrade_database(db, "0006")
        async with db.sessions() as session, session.begin():
            await session.execute(insert(CaseNumberCounter).values(year=2026, last_value=41))
        await upgrade_database(db)
        async with db.sessions() as session, session.begin():
            assert await next_case_number(session, 2026) == "2026-000042"
            assert await next_case_number(session, 2025) == "2025-000001"
        await downgrade_database(db, "0006")
        async with db.sessions() as session:
            rows = await session.execute(
                select(CaseNumberCounter.year, CaseNumberCounter.last_value)
            )
            counters = {year: last for year, last in rows}
        assert counters == {2025: 1, 2026: 42}
        await upgrade_database(db)
        async with db.sessions() as session, session.begin():
            assert await next_case_number(session, 2026) == "2026-000043"
    finally:
        await db.dispose()
