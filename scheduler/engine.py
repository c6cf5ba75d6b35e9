"""APScheduler 3 driven by our clock.

Why not AsyncIOScheduler: APScheduler 3's `BaseScheduler._process_jobs` and its executors read
the wall clock (`datetime.now`), so a test clock cannot drive them; and `_process_jobs` moves a
job on in the store (or deletes it) *before* the executor runs it, in a separate transaction,
so a crash in between loses the run and two processes could run it twice. `ClockScheduler`
therefore subclasses `BaseScheduler` and keeps everything else of APScheduler — the
SQLAlchemyJobStore (table `apscheduler_jobs`), `Job` objects, triggers and the
add/modify/remove/get API — while `SchedulerLoop` processes due jobs itself: it asks the store
for jobs due at `clock.now()`, a batch at a time, and runs them with bounded concurrency, each
claimed in the transaction that does its work (scheduler/runs.py). Times are stored as UTC
timestamps; the scheduler's zone (the county's) only shapes cron triggers and how times are
shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler

from backend.clock import Clock, Sleep
from backend.db import database_unreachable
from scheduler.jobs import RECURRING_PREFIX, RUN_JOB, Registry
from scheduler.runs import JobRunner
from scheduler.store import JobStore

log = logging.getLogger(__name__)
_quiet = logging.getLogger("scheduler.apscheduler")  # APScheduler logs every add at INFO
_quiet.setLevel(logging.WARNING)


class ClockScheduler(BaseScheduler):
    """APScheduler's API over our job store; never runs jobs itself (see the module doc).
    Its blocking methods (add_job, get_jobs...) touch the database: call them in a thread."""

    def __init__(self, store: JobStore, *, timezone: str) -> None:
        super().__init__(
            timezone=timezone,
            logger=_quiet,
            jobstores={"default": store},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self.woken = asyncio.Event()

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.start)

    async def close(self) -> None:
        if self.running:
            await asyncio.to_thread(self.shutdown, False)

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        """A job was added or changed (from a worker thread): the loop looks again now."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.woken.set)

    def install_recurring(self, registry: Registry, now: datetime) -> None:
        """Keeps one stored job per recurring kind. An unchanged one keeps its next run time
        (so downtime is caught up, coalesced as its kind says); a changed trigger starts anew;
        a kind that is gone is removed."""
        wanted = {f"{RECURRING_PREFIX}{name}": kind for name, kind in registry.recurring.items()}
        for job_id in self.store.ids_starting(RECURRING_PREFIX):
            if job_id not in wanted:
                self.remove_job(job_id)
        for job_id, kind in wanted.items():
            args = dict(kind.trigger_args)
            if kind.trigger == "interval" and "start_date" not in args:
                # APScheduler would start the interval from the wall clock; ours is `now`.
                args["start_date"] = now + timedelta(**_interval_fields(args))
            trigger = self._create_trigger(kind.trigger, args)
            grace = kind.misfire_grace
            stored = self.get_job(job_id)
            if stored is not None and str(stored.trigger) == str(trigger):
                if stored.coalesce != kind.coalesce:
                    self.modify_job(job_id, coalesce=kind.coalesce)
                continue
            self.add_job(
                RUN_JOB,
                trigger,
                args=(kind.name,),
                id=job_id,
                name=kind.name,
                next_run_time=trigger.get_next_fire_time(None, now),
                misfire_grace_time=int(grace.total_seconds()) if grace else None,
                coalesce=kind.coalesce,
                replace_existing=True,
            )

    def _create_default_executor(self) -> Any:
        from apscheduler.executors.debug import DebugExecutor

        return DebugExecutor()  # never used: SchedulerLoop runs the jobs


def _interval_fields(args: dict[str, Any]) -> dict[str, float]:
    names = ("weeks", "days", "hours", "minutes", "seconds")
    return {name: float(args[name]) for name in names if name in args}


class SchedulerLoop:
    """Plans requests and runs due jobs until cancelled, on the injected clock and sleep."""

    def __init__(
        self,
        scheduler: ClockScheduler,
        runner: JobRunner,
        plan: Callable[[], Awaitable[int]],
        clock: Clock,
        sleep: Sleep,
        *,
        tick_seconds: float = 2.0,
        batch: int = 500,
        concurrency: int = 8,
        per_transaction: int = 1,
        max_pause_seconds: float = 30.0,
        still_leading: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.scheduler, self.runner, self.plan = scheduler, runner, plan
        self.clock, self.sleep = clock, sleep
        self.tick_seconds, self.batch, self.concurrency = tick_seconds, batch, concurrency
        self.per_transaction = max(1, per_transaction)
        self.max_pause_seconds, self.still_leading = max_pause_seconds, still_leading
        self.database_away = False
        self.rounds = 0

    async def run_due(self) -> int:
        """Runs what is due now, a batch at a time, until nothing is; returns how many ran."""
        total = 0
        gate = asyncio.Semaphore(self.concurrency)

        async def together(jobs: list[Job]) -> None:
            async with gate:
                await self.runner.run_together(jobs)

        while True:
            store, now = self.scheduler.store, self.clock.now()
            jobs = await asyncio.to_thread(store.due_jobs, now, self.batch)
            if not jobs:
                return total
            size = self.per_transaction
            chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
            results = await asyncio.gather(*map(together, chunks), return_exceptions=True)
            total += len(jobs)
            for result in results:
                if isinstance(result, BaseException):
                    raise result  # the database went away: the loop backs off
            if len(jobs) < self.batch:
                return total

    async def run_round(self) -> int:
        await self.plan()
        ran = await self.run_due()
        self.rounds += 1
        return ran

    async def run_forever(self) -> None:
        """Rounds every tick until cancelled or the lock is lost. While the database is away
        it waits longer and longer (up to max_pause_seconds), says so once, and carries on
        with whatever fell due meanwhile when it is back."""
        pause = self.tick_seconds
        while True:
            if self.still_leading is not None and not await self.still_leading():
                log.warning("scheduler: no longer the leader; standing by")
                return
            try:
                await self.run_round()
            except Exception as exc:
                if database_unreachable(exc):
                    if not self.database_away:
                        log.warning("scheduler: database unreachable (%s); jobs wait", exc)
                    self.database_away = True
                    pause = min(max(pause, self.tick_seconds) * 2, self.max_pause_seconds)
                else:
                    log.exception("scheduler round failed; trying again next tick")
                    pause = self.tick_seconds
            else:
                if self.database_away:
                    log.warning("scheduler: database reachable again; running what fell due")
                self.database_away = False
                pause = self.tick_seconds
            await self._wait(pause)

    async def _wait(self, seconds: float) -> None:
        """Sleeps on the clock, or less when a job is added in this process."""
        self.scheduler.woken.clear()
        sleeper = asyncio.ensure_future(self.sleep(seconds))
        woken = asyncio.ensure_future(self.scheduler.woken.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, woken):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
