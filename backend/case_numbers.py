"""Human-readable case numbers like 2026-000123, unique per year, safe under concurrency.

On PostgreSQL each year has its own SEQUENCE (`case_numbers_2026`). A counter row would be
locked from the draw until the filing commits, so every filing in the county would queue
behind the one before it (docs/benchmarks.md, WeChat channel throughput); a sequence hands
out numbers without waiting. The price: a filing that rolls back after drawing leaves its
number unused, so the ledger may skip a number (docs/case-numbers.md says how to read it).

On SQLite, where one writer holds the whole database anyway, the counter row is bumped with
a single UPDATE ... RETURNING; that never skips.
"""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import upsert_insert
from backend.models import CaseNumberCounter


def sequence_name(year: int) -> str:
    return f"case_numbers_{int(year)}"


async def next_case_number(session: AsyncSession, year: int) -> str:
    if session.get_bind().dialect.name == "postgresql":
        value = await _next_from_sequence(session, year)
    else:
        value = await _next_from_counter(session, year)
    return f"{year}-{value:06d}"


async def _next_from_sequence(session: AsyncSession, year: int) -> int:
    """`nextval(to_regclass(...))` is NULL, not an error, before the year's first case, so the
    common path is one statement with no savepoint."""
    value = await _nextval(session, year)
    if value is None:
        await _create_sequence(session, year)
        value = await _nextval(session, year)
    assert value is not None
    return int(value)


async def _nextval(session: AsyncSession, year: int) -> int | None:
    return await session.scalar(
        text("SELECT nextval(to_regclass(:name))"), {"name": sequence_name(year)}
    )


async def _create_sequence(session: AsyncSession, year: int) -> None:
    """Owned by the counters table, so dropping or truncating it (RESTART IDENTITY) takes the
    sequences along. Two first filings of a year may race to create it: the loser's savepoint
    fails once the winner commits, and it then uses the winner's sequence."""
    try:
        async with session.begin_nested():
            await session.execute(
                text(
                    f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(year)} "
                    "OWNED BY case_number_counters.last_value"
                )
            )
    except DBAPIError:
        if await _sequence_exists(session, year):
            return
        raise


async def _sequence_exists(session: AsyncSession, year: int) -> bool:
    found = await session.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": sequence_name(year)}
    )
    return bool(found)


async def _next_from_counter(session: AsyncSession, year: int) -> int:
    """The bump comes first; only the year's first case creates the counter row. (Inserting
    it every time made each filing wait twice for the one holding the row: once in the
    INSERT's conflict check, again in the UPDATE.)"""
    value = await _bump(session, year)
    if value is None:
        insert = upsert_insert(session)
        await session.execute(
            insert(CaseNumberCounter).values(year=year, last_value=0).on_conflict_do_nothing()
        )
        value = await _bump(session, year)
    assert value is not None
    return value


async def _bump(session: AsyncSession, year: int) -> int | None:
    return await session.scalar(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + 1)
        .returning(CaseNumberCounter.last_value)
    )
