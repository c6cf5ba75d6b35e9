"""The scheduler as a process sees it: jobs asked for in the database fire at their time,
exactly once, across a restart (new scheduler objects on the same database); late runs follow
their kind's misfire policy; recurring jobs catch up once after downtime; a failing job is
retried and never stops the loop. ManualClock throughout: no sleeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from scheduler.jobs import RECURRING_PREFIX, default_registry
from tests.conftest import START
from tests.scheduler import kinds_for_tests
from tests.scheduler.kinds_for_tests import rows, sent_at
from tests.scheduler.support import advance, ask, db_fixture, running, service  # noqa: F401


async def test_a_job_asked_for_before_a_restart_fires_once_at_its_time(
    db, database_url, clock
) -> None:
    await ask(db, "ping:restart", "restart", START + timedelta(hours=24), clock.now())
    first = service(db, database_url, clock)
    async with running(first, clock):
        await advance(first, clock, timedelta(hours=1))  # planned, not due
        assert await rows(db, "restart") == 0
    # The process ends; a new one starts on the same database 22 hours later.
    clock.advance(timedelta(hours=22))
    second = service(db, database_url, clock)
    async with running(second, clock):
        await advance(second, clock, timedelta(minutes=59, seconds=58))
        assert await rows(db, "restart") == 0  # two seconds early
        await advance(second, clock, timedelta(seconds=2))
        assert await rows(db, "restart") == 1
        assert await sent_at(db, "restart") == [(START + timedelta(hours=24)).isoformat()]
        await advance(second, clock, timedelta(days=2))
    third = service(db, database_url, clock)
    async with running(third, clock):
        await advance(third, clock, timedelta(days=1))
    assert await rows(db, "restart") == 1


async def test_a_reminder_an_hour_late_still_goes_one_a_day_late_is_dropped_and_recorded(
    db, database_url, clock
) -> None:
    await ask(db, "ping:hour", "hour", START + timedelta(hours=2), clock.now())
    await ask(db, "ping:day", "day", START + timedelta(hours=4), clock.now())
    first = service(db, database_url, clock)
    async with running(first, clock):
        pass  # both planned; then the server is down
    clock.advance(timedelta(hours=3))  # the first is an hour late
    second = service(db, database_url, clock)
    async with running(second, clock):
        assert await rows(db, "hour") == 1
        assert await rows(db, "day") == 0
    clock.advance(timedelta(hours=25))  # the second is now a day late
    third = service(db, database_url, clock)
    async with running(third, clock):
        assert await rows(db, "day") == 0
        assert await rows(db, "day", "test_missed") == 1
        await advance(third, clock, timedelta(days=1))
    assert (await rows(db, "hour"), await rows(db, "day", "test_missed")) == (1, 1)


async def test_a_recurring_job_catches_up_once_after_downtime(db, database_url, clock) -> None:
    first = service(db, database_url, clock)
    async with running(first, clock):
        await advance(first, clock, timedelta(minutes=10))
        assert await rows(db, "tick") == 1
        await advance(first, clock, timedelta(minutes=10))
        assert await rows(db, "tick") == 2
    clock.advance(timedelta(hours=5))  # 30 runs missed while down
    second = service(db, database_url, clock)
    async with running(second, clock):
        assert await rows(db, "tick") == 3  # coalesced into one
        await advance(second, clock, timedelta(minutes=5))
        assert await rows(db, "tick") == 3
        await advance(second, clock, timedelta(minutes=5))
        assert await rows(db, "tick") == 4
        assert second.scheduler is not None
        jobs = await asyncio.to_thread(second.scheduler.get_jobs)
    ids = {j.id for j in jobs}
    assert {f"{RECURRING_PREFIX}deadline_sweep", f"{RECURRING_PREFIX}test_tick"} <= ids


async def test_a_job_moved_before_it_fires_fires_only_at_the_new_time(
    db, database_url, clock
) -> None:
    await ask(db, "ping:moved", "moved", START + timedelta(hours=1), clock.now())
    svc = service(db, database_url, clock)
    async with running(svc, clock):
        await ask(db, "ping:moved", "moved", START + timedelta(hours=5), clock.now())
        await advance(svc, clock, timedelta(hours=2))
        assert await rows(db, "moved") == 0
        await advance(svc, clock, timedelta(hours=3))
        assert await sent_at(db, "moved") == [(START + timedelta(hours=5)).isoformat()]


async def test_a_failing_job_is_tried_again_later_and_others_still_run(
    db, database_url, clock
) -> None:
    kinds_for_tests.FAILS_LEFT["flaky"] = 2
    await ask(db, "ping:flaky", "flaky", START + timedelta(minutes=1), clock.now())
    await ask(db, "ping:steady", "steady", START + timedelta(minutes=1), clock.now())
    svc = service(db, database_url, clock)
    async with running(svc, clock):
        await advance(svc, clock, timedelta(minutes=1))
        assert (await rows(db, "flaky"), await rows(db, "steady")) == (0, 1)
        await advance(svc, clock, timedelta(seconds=30))  # first retry: fails again
        assert await rows(db, "flaky") == 0
        await advance(svc, clock, timedelta(minutes=1))
        assert await rows(db, "flaky") == 0  # the second retry waits 2 minutes
        await advance(svc, clock, timedelta(minutes=1))
        assert await rows(db, "flaky") == 1
        await advance(svc, clock, timedelta(hours=1))
    assert (await rows(db, "flaky"), await rows(db, "steady")) == (1, 1)


async def test_a_recurring_kind_dropped_from_the_code_is_dropped_from_the_store(
    db, database_url, clock
) -> None:
    async with running(service(db, database_url, clock), clock):
        pass
    without_tick = service(db, database_url, clock)
    without_tick.registry = default_registry()
    async with running(without_tick, clock):
        assert without_tick.scheduler is not None
        ids = await asyncio.to_thread(without_tick.scheduler.store.ids_starting, RECURRING_PREFIX)
    assert f"{RECURRING_PREFIX}deadline_sweep" in ids
    assert f"{RECURRING_PREFIX}test_tick" not in ids
