"""The planner turns job requests into stored APScheduler jobs, and is safe to crash between
adding a job and marking its request planned, or to race a request that moves meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.models_scheduling import JobRequest
from scheduler.engine import ClockScheduler
from scheduler.planner import Planned, Planner
from scheduler.store import JobStore
from tests.conftest import START
from tests.scheduler import kinds_for_tests
from tests.scheduler.support import ZONE, ask, db_fixture  # noqa: F401


@pytest.fixture
async def scheduler(database_url: str) -> AsyncIterator[ClockScheduler]:
    opened = ClockScheduler(JobStore(database_url), timezone=ZONE)
    await opened.open()
    yield opened
    await opened.close()


async def _requests(db) -> list[JobRequest]:
    async with db.sessions() as session:
        return list(await session.scalars(select(JobRequest).order_by(JobRequest.id)))


async def test_requests_become_stored_jobs_shown_in_the_county_zone(db, scheduler, clock):
    await ask(db, "ping:a", "a", START + timedelta(hours=24), clock.now())
    planner = Planner(db, scheduler, kinds_for_tests.registry(), clock)
    assert await planner.plan_all() == 1
    assert await planner.plan_all() == 0
    job = await asyncio.to_thread(scheduler.get_job, "ping:a")
    assert job.args == ("test_ping", "a") and job.func_ref == "scheduler.jobs:run_job"
    assert job.next_run_time == START + timedelta(hours=24)
    assert str(job.next_run_time.tzinfo) == ZONE  # 10:00 the next day in the county
    assert job.next_run_time.hour == 10 and job.misfire_grace_time == 6 * 3600
    assert [r.planned_at for r in await _requests(db)] == [clock.now()]


async def test_a_crash_between_adding_and_marking_plans_the_job_again_once(
    db, scheduler, clock
) -> None:
    await ask(db, "ping:b", "b", START + timedelta(hours=1), clock.now())
    planner = Planner(db, scheduler, kinds_for_tests.registry(), clock)
    (request,) = await _requests(db)
    # The first planner added the job and died before marking the request.
    planned = Planned(request.id, request.job_id, request.kind, tuple(request.args), request.run_at)
    await asyncio.to_thread(planner._add_all, [planned])
    assert await planner.plan_all() == 1  # the next one plans it again: replaced, not doubled
    jobs = await asyncio.to_thread(scheduler.get_jobs)
    assert [j.id for j in jobs if not j.id.startswith("recurring:")] == ["ping:b"]


async def test_a_request_moved_while_it_is_planned_is_planned_again_at_its_new_time(
    db, scheduler, clock
) -> None:
    await ask(db, "ping:c", "c", START + timedelta(hours=1), clock.now())
    planner = Planner(db, scheduler, kinds_for_tests.registry(), clock)
    add_all = planner._add_all

    def add_then_move(rows: list[Planned]) -> None:
        add_all(rows)  # the old time is in the store; the booking moves before the mark
        asyncio.run_coroutine_threadsafe(
            ask(db, "ping:c", "c", START + timedelta(hours=3), clock.now()), loop
        ).result()

    loop = asyncio.get_running_loop()
    planner._add_all = add_then_move  # type: ignore[method-assign]
    await planner.plan_once()
    assert [r.planned_at for r in await _requests(db)] == [None]
    planner._add_all = add_all  # type: ignore[method-assign]
    assert await planner.plan_all() == 1
    job = await asyncio.to_thread(scheduler.get_job, "ping:c")
    assert job.next_run_time == START + timedelta(hours=3)
