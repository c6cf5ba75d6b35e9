"""One active scheduler across processes: every server (or `jiefen scheduler`) process runs a
SchedulerService; the one holding the leader lock (backend/leadership.py) plans and runs jobs,
the others stand by and try again every few seconds, taking over when the leader dies.

Even if two ever ran at once (a leader cut off from the database that has not noticed yet),
each run is claimed in its own transaction, so no job runs twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from backend.clock import Clock, Sleep
from backend.db import Database, database_unreachable
from backend.leadership import LeaderLock, leader_lock
from scheduler.engine import ClockScheduler, SchedulerLoop
from scheduler.jobs import Registry, default_registry
from scheduler.planner import Planner
from scheduler.runs import JobRunner, RetryPolicy
from scheduler.store import JobStore

log = logging.getLogger(__name__)
LOCK_NAME = "jiefen-scheduler"


@dataclass(frozen=True)
class SchedulerOptions:
    tick_seconds: float = 2.0  # how often the leader plans requests and looks for due jobs
    standby_seconds: float = 5.0  # how often a standby tries to take over
    batch: int = 500  # due jobs read from the store at a time
    concurrency: int = 8  # transactions at once (1 on SQLite: its writers queue anyway)
    per_transaction: int = 25  # jobs per transaction, each in a savepoint (1 on SQLite)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class SchedulerService:
    def __init__(
        self,
        db: Database,
        database_url: str,
        clock: Clock,
        sleep: Sleep,
        *,
        timezone: str,
        registry: Registry | None = None,
        options: SchedulerOptions | None = None,
        lock: LeaderLock | None = None,
    ) -> None:
        self.db, self.database_url, self.clock, self.sleep = db, database_url, clock, sleep
        self.timezone, self.registry = timezone, registry or default_registry(timezone)
        self.options = options or SchedulerOptions()
        self.lock = lock or leader_lock(db, LOCK_NAME)
        self.leading = False
        self.loop: SchedulerLoop | None = None  # while leading
        self.scheduler: ClockScheduler | None = None

    @property
    def role(self) -> str:
        return "leader" if self.leading else "standby"

    async def run_forever(self) -> None:
        """Stands by or leads until cancelled."""
        said_standby = False
        while True:
            try:
                acquired = await self.lock.try_acquire()
            except Exception as exc:
                if not database_unreachable(exc):
                    log.exception("scheduler: taking the leader lock failed")
                acquired = False
            if not acquired:
                if not said_standby:
                    log.info("scheduler: standing by (another process leads)")
                    said_standby = True
                await self.sleep(self.options.standby_seconds)
                continue
            said_standby = False
            try:
                await self.lead()
            except Exception as exc:
                level = logging.WARNING if database_unreachable(exc) else logging.ERROR
                log.log(level, "scheduler: stopped leading: %s", exc, exc_info=True)
                await self.sleep(self.options.standby_seconds)
            finally:
                await self.lock.release()

    async def lead(self) -> None:
        """Runs the loop while the lock holds (returns when it is lost)."""
        store = JobStore(self.database_url)
        scheduler = ClockScheduler(store, timezone=self.timezone)
        await scheduler.open()
        self.scheduler = scheduler
        try:
            await asyncio.to_thread(scheduler.install_recurring, self.registry, self.clock.now())
            runner = JobRunner(self.db, store, self.registry, self.clock, self.options.retry)
            planner = Planner(self.db, scheduler, self.registry, self.clock)
            self.loop = SchedulerLoop(
                scheduler,
                runner,
                planner.plan_all,
                self.clock,
                self.sleep,
                tick_seconds=self.options.tick_seconds,
                batch=self.options.batch,
                concurrency=1 if self.db.is_sqlite else self.options.concurrency,
                per_transaction=1 if self.db.is_sqlite else self.options.per_transaction,
                still_leading=self.lock.still_held,
            )
            self.leading = True
            log.info("scheduler: leading (this process plans and runs timed jobs)")
            await self.loop.run_forever()
        finally:
            self.leading = False
            self.loop = self.scheduler = None
            await scheduler.close()
