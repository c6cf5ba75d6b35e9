"""Platform access tokens shared by every process through the database.

WeChat allows a limited number of token fetches a day, and a fresh token may cut short the
one before it, so only one caller at a time may refresh: on PostgreSQL under an advisory
lock for the key, on SQLite under the database's write lock (taken by the first statement
of the transaction, so the others wait for it). Whoever gets the lock reads again before
refreshing, and finds the token the one before it stored. Each process also keeps the token
in memory for up to a minute, so a burst of pushes does not read it once per push; a token
another process refreshed meanwhile is refused by the platform and dropped (invalidate).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import Clock, SystemClock
from backend.db import Database
from backend.models import PlatformToken

Refresh = Callable[[], Awaitable[tuple[str, int]]]  # (token, lifetime in seconds)
SAFETY_MARGIN_SECONDS = 300
MEMORY_SECONDS = 60  # how long a process trusts the token it read without reading again
_EXPIRED = datetime(1970, 1, 1, tzinfo=UTC)


def _lock_id(key: str) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock, the same in every process."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _margin(lifetime: int) -> float:
    """Five minutes, or half the lifetime for short-lived tokens, so it is never negative."""
    return min(SAFETY_MARGIN_SECONDS, lifetime / 2)


class DatabaseTokenStore:
    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self.db, self.clock = db, clock or SystemClock()
        self._memory: dict[str, tuple[str, datetime]] = {}  # key -> (value, trusted until)

    async def get(self, key: str, refresh: Refresh) -> str:
        """The cached token while it is valid; otherwise refreshed by exactly one caller."""
        value, until = self._memory.get(key, ("", _EXPIRED))
        if value and until > self.clock.now():
            return value
        async with self.db.sessions() as session:
            cached = await self._valid(session, key)
        if cached is not None:
            return cached
        async with self.db.sessions() as session, session.begin():
            await self._lock(session, key)
            cached = await self._valid(session, key)
            if cached is not None:
                return cached
            value, lifetime = await refresh()
            expires = self.clock.now() + timedelta(seconds=lifetime - _margin(lifetime))
            await session.execute(
                update(PlatformToken)
                .where(PlatformToken.key == key)
                .values(value=value, expires_at=expires)
            )
            self._remember(key, value, expires)
            return value

    async def invalidate(self, key: str, value: str) -> None:
        """The platform refused this token: the next get() refreshes. Only this value is
        dropped, so a newer token another process has just stored stays."""
        self._memory.pop(key, None)
        async with self.db.sessions() as session, session.begin():
            await self._lock(session, key)
            row = await session.scalar(select(PlatformToken).where(PlatformToken.key == key))
            if row is not None and row.value == value:  # encrypted: compared after reading
                row.expires_at = _EXPIRED

    async def _lock(self, session: AsyncSession, key: str) -> None:
        if self.db.is_sqlite:
            # A write as the first statement takes SQLite's write lock at once (busy_timeout
            # makes the others wait); the row also exists from here on for the update.
            statement = sqlite.insert(PlatformToken).values(key=key, value="", expires_at=_EXPIRED)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[PlatformToken.key], set_={"key": statement.excluded.key}
                )
            )
            return
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(key)})
        await session.execute(
            postgresql.insert(PlatformToken)
            .values(key=key, value="", expires_at=_EXPIRED)
            .on_conflict_do_nothing(index_elements=[PlatformToken.key])
        )

    async def _valid(self, session: AsyncSession, key: str) -> str | None:
        row = await session.scalar(
            select(PlatformToken)
            .where(PlatformToken.key == key)
            .execution_options(populate_existing=True)
        )
        if row is None or not row.value or row.expires_at <= self.clock.now():
            return None
        self._remember(key, row.value, row.expires_at)
        return row.value

    def _remember(self, key: str, value: str, expires: datetime) -> None:
        until = min(expires, self.clock.now() + timedelta(seconds=MEMORY_SECONDS))
        self._memory[key] = (value, until)
