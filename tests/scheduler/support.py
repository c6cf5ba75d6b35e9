"""Running a SchedulerService in a test, on a ManualClock, and waiting for its rounds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from backend.clock import ManualClock
from backend.db import Database, open_database
from backend.job_requests import TimedJob, request_jobs
from scheduler.service import SchedulerOptions, SchedulerService
from tests.conftest import TEST_KEY
from tests.scheduler import kinds_for_tests
from tests.waiting import until

ZONE = "Asia/Shanghai"


@pytest.fixture(name="db")
async def db_fixture(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    yield database
    await database.dispose()


def service(
    db: Database, database_url: str, clock: ManualClock, **options: float
) -> SchedulerService:
    return SchedulerService(
        db,
        database_url,
        clock,
        clock.sleep,
        timezone=ZONE,
        registry=kinds_for_tests.registry(),
        options=SchedulerOptions(**options),  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def running(svc: SchedulerService, clock: ManualClock) -> AsyncIterator[SchedulerService]:
    """The service leading and idle (waiting for its next tick); stopped afterwards, like a
    process that ends (its lock released)."""
    task = asyncio.create_task(svc.run_forever())
    try:
        await until(lambda: svc.loop is not None and svc.loop.rounds and clock.sleeping, "a round")
        yield svc
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def advance(svc: SchedulerService, clock: ManualClock, delta: timedelta) -> None:
    """Moves the clock on and waits for the round that follows to finish."""
    assert svc.loop is not None
    before = svc.loop.rounds
    clock.advance(delta)
    loop = svc.loop
    await until(lambda: loop.rounds > before and clock.sleeping, "the next round")


async def ask(db: Database, job_id: str, name: str, run_at: datetime, at: datetime) -> None:
    async with db.sessions() as session, session.begin():
        await request_jobs(session, [TimedJob(job_id, "test_ping", (name,), run_at)], at=at)
