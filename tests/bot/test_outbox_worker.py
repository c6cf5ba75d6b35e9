"""The outbox worker's loop while its database is away: it neither spins nor dies, says so
once, and waits longer and longer (on the test's clock) until the database answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from backend.clock import ManualClock
from backend.db import open_database
from bot.delivery import OutboxWorker
from bot.i18n import Texts
from jiefen.settings import PROJECT_ROOT
from tests.conftest import TEST_KEY
from tests.servers import free_port
from tests.waiting import until


async def test_a_worker_without_its_database_backs_off_and_keeps_going(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = open_database(
        f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone", secret_key=TEST_KEY, var_dir=tmp_path
    )
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await clock.sleep(seconds)

    worker = OutboxWorker(
        nowhere,
        {},
        Texts(PROJECT_ROOT / "config" / "locales"),
        clock,
        poll_seconds=1,
        sleep=sleep,
        max_pause_seconds=30,
    )
    task = asyncio.create_task(worker.run_forever())
    try:
        with caplog.at_level(logging.WARNING, logger="bot.delivery"):
            for round_ in range(1, 8):
                await until(lambda r=round_: len(pauses) == r and clock.sleeping, "a pause")
                clock.advance(timedelta(seconds=pauses[-1]))
        assert pauses[:7] == [2, 4, 8, 16, 30, 30, 30]
        assert not task.done() and worker.database_away
        warnings = [r for r in caplog.records if "database unreachable" in r.message]
        assert len(warnings) == 1 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await nowhere.dispose()
