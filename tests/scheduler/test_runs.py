"""Each run is claimed in its own transaction: two runners let loose on the same due jobs at
once (as if two schedulers led at the same time) run every job exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from scheduler.engine import ClockScheduler
from scheduler.planner import Planner
from scheduler.runs import JobRunner
from scheduler.store import JobStore
from tests.conftest import START
from tests.scheduler import kinds_for_tests
from tests.scheduler.kinds_for_tests import rows
from tests.scheduler.support import ZONE, ask, db_fixture  # noqa: F401

JOBS = 40


async def _opened(database_url: str) -> ClockScheduler:
    scheduler = ClockScheduler(JobStore(database_url), timezone=ZONE)
    await scheduler.open()
    return scheduler


async def test_two_runners_on_the_same_due_jobs_run_each_once(db, database_url, clock) -> None:
    for i in range(JOBS):
        await ask(db, f"ping:race:{i}", f"race-{i}", START + timedelta(minutes=5), clock.now())
    registry = kinds_for_tests.registry()
    schedulers = [await _opened(database_url), await _opened(database_url)]
    try:
        await Planner(db, schedulers[0], registry, clock).plan_all()
        clock.advance(timedelta(minutes=5))
        batches = [await asyncio.to_thread(s.store.due_jobs, clock.now(), 1000) for s in schedulers]
        assert [len(b) for b in batches] == [JOBS, JOBS]  # both see every job due
        runners = [JobRunner(db, s.store, registry, clock) for s in schedulers]
        together = [batches[0][i : i + 10] for i in range(0, JOBS, 10)]  # as the loop does
        results = await asyncio.gather(
            *(runners[0].run_together(group) for group in together),
            *(runners[1].run(job) for job in batches[1]),
        )
        outcomes = [o for r in results for o in (r if isinstance(r, list) else [r])]
        assert sorted(set(outcomes)) == ["gone", "ran"]
        assert outcomes.count("ran") == JOBS
        counts = [await rows(db, f"race-{i}") for i in range(JOBS)]
        assert counts == [1] * JOBS
        assert await asyncio.to_thread(schedulers[0].store.due_jobs, clock.now(), 1000) == []
    finally:
        for scheduler in schedulers:
            await scheduler.close()
