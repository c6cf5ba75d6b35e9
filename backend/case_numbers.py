"""Human-readable case numbers like 2026-000123, unique per year, safe under concurrency.

The counter row is bumped with a single UPDATE ... RETURNING, so two simultaneous
submissions can never read the same value (no check-then-insert).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import upsert_insert
from backend.models import CaseNumberCounter


async def next_case_number(session: AsyncSession, year: int) -> str:
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
    return f"{year}-{value:06d}"


async def _bump(session: AsyncSession, year: int) -> int | None:
    return await session.scalar(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + 1)
        .returning(CaseNumberCounter.last_value)
    )
