"""Who leads: one process at a time holds the scheduler's lock on the case store.

PostgreSQL: a session-level advisory lock, taken with pg_try_advisory_lock on a connection
kept for as long as the process leads. When the process dies its connection closes and the
server drops the lock, so a standby takes over on its next try. SQLite (one machine): an
exclusive flock on a file beside the database, which the kernel drops with the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.db import Database

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class LeaderLock(Protocol):
    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class AdvisoryLock:
    """pg_try_advisory_lock on a connection of its own, held while leading."""

    def __init__(self, db: Database, name: str) -> None:
        self.db, self.key = db, lock_key(name)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = await self.db.engine.connect()
        try:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            await conn.commit()  # the lock outlives the transaction; no transaction idles open
        except BaseException:
            await _close(conn)
            raise
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def still_held(self) -> bool:
        """Whether the lock's connection still answers (losing it means losing the lock)."""
        if self._conn is None:
            return False
        try:
            # A session-level advisory lock ends only with its session (or an unlock): the
            # connection still answering is the lock still held.
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
        except Exception as exc:
            log.warning("leader lock connection lost: %s", exc)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(Exception):
            await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await self._conn.commit()
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _close(conn)


async def _close(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.invalidate()  # never back into the pool with a lock or a broken socket
    with contextlib.suppress(Exception):
        await conn.close()


class FileLock:
    """An exclusive, non-blocking flock; two opens conflict even within one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    async def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    async def still_held(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def leader_lock(db: Database, name: str) -> LeaderLock:
    """The lock for `db`: advisory on PostgreSQL, a file beside the SQLite database (per
    database, not per var dir, so two processes on one file always see the same lock)."""
    if db.is_sqlite:
        database = db.engine.url.database or "jiefen.db"
        return FileLock(Path(f"{database}.{name}.lock"))
    return AdvisoryLock(db, name)
