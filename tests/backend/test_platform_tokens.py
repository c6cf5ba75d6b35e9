"""Platform tokens: reused while valid, refreshed by one caller only, even across processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from backend.clock import ManualClock
from backend.db import open_database
from backend.models import PlatformToken
from backend.platform_tokens import DatabaseTokenStore
from tests.conftest import TEST_KEY


class Issuer:
    """Stands for the platform's token endpoint; slow enough for callers to overlap."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> tuple[str, int]:
        self.calls += 1
        await asyncio.sleep(0.2)
        return f"token-{self.calls}", 7200


async def test_a_valid_token_is_reused_and_stored_encrypted(database_url: str, clock) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=Path("/tmp"))
    try:
        store, issuer = DatabaseTokenStore(db, clock=clock), Issuer()
        assert await store.get("wechat:app", issuer) == "token-1"
        clock.advance(timedelta(seconds=6800))  # 7200 s less the 5-minute margin is left
        assert await store.get("wechat:app", issuer) == "token-1"
        assert issuer.calls == 1
        async with db.engine.connect() as conn:
            raw = (await conn.exec_driver_sql("SELECT value FROM platform_tokens")).scalar_one()
        assert "token-1" not in raw
        clock.advance(timedelta(seconds=200))
        assert await store.get("wechat:app", issuer) == "token-2"
    finally:
        await db.dispose()


async def test_an_expired_token_is_refreshed_once_for_concurrent_callers(
    database_url: str, clock: ManualClock
) -> None:
    # Three engines stand for three processes sharing the database.
    dbs = [open_database(database_url, secret_key=TEST_KEY, var_dir=Path("/tmp")) for _ in "abc"]
    try:
        stores = [DatabaseTokenStore(db, clock=clock) for db in dbs]
        issuer = Issuer()
        await stores[0].get("wechat:app", issuer)
        clock.advance(timedelta(hours=3))
        got = await asyncio.gather(*(stores[i % 3].get("wechat:app", issuer) for i in range(5)))
        assert got == ["token-2"] * 5
        assert issuer.calls == 2
        async with dbs[0].sessions() as session:
            rows = (await session.scalars(select(PlatformToken))).all()
        assert [(r.key, r.value) for r in rows] == [("wechat:app", "token-2")]
        assert rows[0].expires_at > clock.now() + timedelta(hours=1)
    finally:
        for db in dbs:
            await db.dispose()


async def test_a_refused_token_is_refreshed_but_a_newer_one_is_kept(
    database_url: str, clock: ManualClock
) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=Path("/tmp"))
    try:
        store, issuer = DatabaseTokenStore(db, clock=clock), Issuer()
        first = await store.get("k", issuer)
        await store.invalidate("k", "some-older-token")
        assert await store.get("k", issuer) == first
        await store.invalidate("k", first)
        assert await store.get("k", issuer) == "token-2"
    finally:
        await db.dispose()
