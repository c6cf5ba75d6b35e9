"""The job store reaches the case store's database through a synchronous driver."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from scheduler.engine import ClockScheduler
from scheduler.jobs import RUN_JOB
from scheduler.store import JobStore, sync_url
from tests.conftest import START
from tests.scheduler.support import ZONE


def test_the_job_store_uses_the_same_database_through_a_sync_driver() -> None:
    assert sync_url("sqlite+aiosqlite:////srv/jiefen/var/jiefen.db") == (
        "sqlite:////srv/jiefen/var/jiefen.db"
    )
    assert sync_url("postgresql+asyncpg://jf:secret@db.example:5432/jiefen") == (
        "postgresql+psycopg://jf:secret@db.example:5432/jiefen"
    )


async def test_batched_jobs_are_written_together_and_replace_by_id(database_url: str) -> None:
    """What the planner relies on: inside the block nothing is written yet; at its end every
    job is in the store, a job added twice once (the later version); a failing block writes
    nothing."""
    scheduler = ClockScheduler(JobStore(database_url), timezone=ZONE)
    await scheduler.open()
    try:
        at = START + timedelta(hours=2)

        def add(job_id: str, when: datetime) -> None:
            scheduler.add_job(
                RUN_JOB,
                "date",
                args=("test_ping", job_id),
                id=job_id,
                run_date=when,
                next_run_time=when,
                replace_existing=True,
            )

        def batch() -> list[str]:
            with scheduler.store.batched_writes():
                add("ping:1", at)
                add("ping:2", at)
                add("ping:1", at + timedelta(hours=1))
                unwritten = [j.id for j in scheduler.get_jobs() if j.id.startswith("ping:")]
            return unwritten

        assert await asyncio.to_thread(batch) == []

        def failing() -> None:
            with scheduler.store.batched_writes():
                add("ping:3", at)
                raise RuntimeError("the planner failed half-way")

        with pytest.raises(RuntimeError):
            await asyncio.to_thread(failing)
        jobs = {j.id: j for j in await asyncio.to_thread(scheduler.get_jobs)}
        assert sorted(i for i in jobs if i.startswith("ping:")) == ["ping:1", "ping:2"]
        assert jobs["ping:1"].next_run_time == at + timedelta(hours=1)
    finally:
        await scheduler.close()
