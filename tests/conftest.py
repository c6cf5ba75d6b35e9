"""Shared fixtures: a fresh case store on SQLite and on a real PostgreSQL for each test.

PostgreSQL tests skip with a clear message when no server answers, unless
JIEFEN_REQUIRE_PG=1 (as in .ci/run), which turns that into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.clock import ManualClock
from backend.crypto import new_fernet_key
from backend.db import open_database, upgrade_database
from backend.models import Base
from jiefen.settings import PROJECT_ROOT, Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.servers import serving

PG_ADMIN_URL = os.environ.get("JIEFEN_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("JIEFEN_REQUIRE_PG") == "1"
TEST_KEY = new_fernet_key()
START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in the county


async def _pg_reachable() -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL), 5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


def _require_pg() -> None:
    problem = asyncio.run(_pg_reachable())
    if problem:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem})"
        if REQUIRE_PG:
            pytest.fail(message + " and JIEFEN_REQUIRE_PG=1")
        pytest.skip(message + ": PostgreSQL tests skipped (JIEFEN_REQUIRE_PG=1 makes this fail)")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _new_pg_database() -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty database on the PostgreSQL server."""
    _require_pg()
    name = f"jiefen_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throwaway database on the PostgreSQL server, migrated once for the session."""
    name, url = _new_pg_database()
    asyncio.run(_migrate(url, Path("/tmp")))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def unmigrated_pg_url() -> Iterator[str]:
    """An empty database of this test's own, for tests that walk the migrations themselves."""
    name, url = _new_pg_database()
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating each time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}", path.parent))
    return path


async def _migrate(url: str, var_dir: Path) -> None:
    db = open_database(url, secret_key=TEST_KEY, var_dir=var_dir)
    await upgrade_database(db)
    await db.dispose()


async def truncate_all(url: str) -> None:
    db = open_database(url, secret_key=TEST_KEY, var_dir=Path("/tmp"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "jiefen.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    url = request.getfixturevalue("pg_server_url")
    asyncio.run(truncate_all(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        secret_key=TEST_KEY,
        nlu_data_dir=PROJECT_ROOT / "nlu" / "data",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
async def app(settings: Settings, clock: ManualClock, shared_nlu) -> AsyncIterator:
    from jiefen.app import build_app

    application = await build_app(settings, clock=clock, nlu=shared_nlu)
    yield application
    await application.close()


@pytest.fixture(scope="session")
def shared_nlu(nlu_cache_dir: Path):
    """The builtin model, trained once per test session on the project's data."""
    from backend.org_network import load_network
    from backend.records import PlaceRecord
    from bot.places import PlaceDirectory
    from nlu.builtin import BuiltinNlu

    network = load_network(PROJECT_ROOT / "config" / "organizations.yaml")
    places = [
        PlaceRecord(t.code, t.name, t.name_en, "town", None, t.aliases) for t in network.towns
    ]
    places += [
        PlaceRecord(v.code, v.name, v.name_en, "village", v.town_code, v.aliases)
        for v in network.villages
    ]
    directory = PlaceDirectory(places)
    return BuiltinNlu.load(
        PROJECT_ROOT / "nlu" / "data",
        nlu_cache_dir,
        gazetteer=directory.gazetteer,
        today_fn=lambda: START.date(),
    )


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, str]]:
    """A fake Telegram Bot API on loopback, and the base URL the bot is pointed at."""
    fake = FakeTelegram()
    async with serving(fake.asgi()) as url:
        yield fake, f"{url}/bot"
