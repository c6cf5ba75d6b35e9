"""Opening the case store: async engine, sessions, and migrations on start."""

from __future__ import annotations

import errno
import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.crypto import PersonalDataCipher, install_cipher, load_or_create_key

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 10
# Connections a process keeps open to PostgreSQL, and how many more it may open for a burst.
# SQLAlchemy's default of 5 is below what one server process has in flight at 200 messages a
# second: the extra connections were opened and closed again all the time (a new PostgreSQL
# backend, and every statement prepared anew, each time). See docs/benchmarks.md.
POOL_SIZE, POOL_OVERFLOW = 20, 10
# A pooled PostgreSQL connection idle this long is pinged before use (a database restarted or a
# network dropped meanwhile shows there, not in the resident's message). One in steady use is
# not: SQLAlchemy's pool_pre_ping would cost three round trips (BEGIN, ping, ROLLBACK) on every
# message, a third of all of them. A connection that broke within these seconds fails its
# first statement, which invalidates the pool; that message is spooled (docs/resilience.md).
IDLE_PING_SECONDS = 5.0


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()


_S = TypeVar("_S", bound=Select[Any])


def lock_skipping_locked(stmt: _S, session: AsyncSession) -> _S:
    """FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers never take the same rows; SQLite
    has no row locks (its writers are serialised anyway)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


UPSERT_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert_insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which offers ON CONFLICT DO NOTHING on both databases we run on."""
    return UPSERT_INSERTS[session.get_bind().dialect.name]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _mark_checked_in(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pings a connection that sat in the pool for IDLE_PING_SECONDS; a dead one makes the
    pool drop it and connect afresh (DisconnectionError is the pool's signal for that)."""
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise sa_exc.DisconnectionError(f"pooled connection is dead: {exc}") from exc


def open_database(url: str, *, secret_key: str, var_dir: Path, echo: bool = False) -> Database:
    install_cipher(PersonalDataCipher(load_or_create_key(secret_key, var_dir)))
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            # A host that drops packets silently: give up on connecting after this long (the
            # message is then spooled) rather than asyncpg's default of a minute.
            connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
        )
        event.listen(engine.sync_engine.pool, "checkin", _mark_checked_in)
        event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


def _pending(connection: Connection) -> bool:
    current = MigrationContext.configure(connection).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return set(current) != set(heads)


async def upgrade_database(db: Database, revision: str = "head") -> bool:
    """Applies outstanding migrations; returns whether anything was applied."""
    async with db.engine.begin() as conn:
        if not await conn.run_sync(_pending):
            return False
        log.info("applying database migrations up to %s", revision)
        await conn.run_sync(_upgrade, revision)
    return True


async def downgrade_database(db: Database, revision: str) -> None:
    """For operators stepping back a release (`alembic downgrade`), and the migration tests."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def ping(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")


# SQLite says these when its file cannot be used right now; other OperationalErrors there
# ("no such table", syntax) are bugs, and retrying them later would not help.
_SQLITE_AWAY = ("locked", "unable to open", "disk i/o", "disk is full", "readonly database")
_NETWORK_ERRNOS = {
    errno.ENETDOWN,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
    errno.ETIMEDOUT,
}
_ASYNCPG_AWAY = (
    "ConnectionDoesNotExistError",
    "PostgresConnectionError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
    "AdminShutdownError",
    "CrashShutdownError",
)


def _one_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError | TimeoutError | ConnectionError | socket.gaierror):
        return True  # the pool starved, a connect timed out, refused, reset, unknown host
    if isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        module = type(exc.orig).__module__ if exc.orig is not None else ""
        if "sqlite" in module:
            return any(word in str(exc.orig).lower() for word in _SQLITE_AWAY)
        return True
    if type(exc).__module__.startswith("asyncpg"):
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & set(_ASYNCPG_AWAY):
            return True
        return "InterfaceError" in names and "connection is closed" in str(exc)
    return False


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached right now (down, restarting, network
    gone, pool starved), as opposed to a bug or a conflict: the only failures worth keeping a
    message for and handling it again later. Looks through the exception's causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _one_unreachable(current):
            return True
        current = current.__cause__ or current.__context__
    return False
