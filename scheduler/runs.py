"""Running due jobs: claim, misfire policy, the work, retries.

A run is claimed in the transaction that does its work (backend/job_runs.py), so it happens
exactly once even across a crash or two schedulers. Jobs due together run a few to a
transaction (claimed in one statement), so a burst of 10,000 reminders costs a few hundred
commits, not 10,000 (on PostgreSQL each commit waits for the disk). Should a job of such a
group fail, the group's transaction rolls back, the failed job is retried later and the
others run again, each alone. On SQLite, whose writers queue anyway, each job runs alone.

Late beyond its kind's `misfire_grace`, a one-off job is not run: its kind's `on_missed`
records that instead, in the same savepoint. A recurring job that was due several times while
the scheduler was down runs once when its kind coalesces. A failing one-off job is tried again
after 30 s, 2 min, 8 min, 32 min, then given up (logged as an error); the count is kept in
memory, so a restart grants a few more tries. A failing recurring job waits for its next time.
An unreachable database is not a failure of the job: the error goes up to the loop, which
backs off, and the jobs stay due.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import Clock
from backend.db import Database, database_unreachable
from backend.job_runs import take_one_off_runs, take_run
from scheduler.jobs import RECURRING_PREFIX, Registry
from scheduler.kinds import run_late
from scheduler.store import JobStore, timestamp

log = logging.getLogger(__name__)
UNKNOWN_KIND_RETRY = timedelta(hours=1)  # a kind this code lacks (an older release running)


@dataclass(frozen=True)
class RetryPolicy:
    first_seconds: float = 30
    factor: float = 4
    max_attempts: int = 5  # the first run and four retries

    def delay(self, failures: int) -> timedelta:
        return timedelta(seconds=self.first_seconds * self.factor ** (failures - 1))


class JobRunner:
    def __init__(
        self,
        db: Database,
        store: JobStore,
        registry: Registry,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.db, self.store, self.registry, self.clock = db, store, registry, clock
        self.retry = retry or RetryPolicy()
        self.failures: dict[str, int] = {}

    async def run(self, job: Job) -> str:
        """ran | missed | gone (run elsewhere or moved) | retry | given_up | skipped; in a
        transaction of its own."""
        try:
            async with self.db.sessions() as session, session.begin():
                outcome = await self._attempt(job, session, None)
        except Exception as exc:
            if database_unreachable(exc):
                raise
            return await self._failed(job, exc)
        self.failures.pop(job.id, None)
        return outcome

    async def run_together(self, jobs: Sequence[Job]) -> list[str]:
        """Runs `jobs` in one transaction (their one-off claims in one statement). Should one
        fail, that transaction is rolled back and each job runs again in a transaction of its
        own, so the failure stays with its job."""
        if len(jobs) == 1:
            return [await self.run(jobs[0])]
        culprit: Job | None = None
        try:
            async with self.db.sessions() as session, session.begin():
                one_off = [
                    (job.id, timestamp(job.next_run_time))
                    for job in jobs
                    if not job.id.startswith(RECURRING_PREFIX)
                    and job.args[0] in self.registry.kinds
                ]
                claimed = await take_one_off_runs(session, one_off)
                outcomes = []
                for job in jobs:
                    culprit = job
                    outcomes.append(await self._attempt(job, session, claimed))
                    await session.flush()  # its writes fail here, not in the next job's
                culprit = None
        except Exception as exc:
            if database_unreachable(exc):
                raise
            log.info("job %s failed among %s; the others run alone", culprit, len(jobs))
            return [
                await self._failed(job, exc) if job is culprit else await self.run(job)
                for job in jobs
            ]
        for job in jobs:
            self.failures.pop(job.id, None)
        return outcomes

    async def _attempt(self, job: Job, session: AsyncSession, claimed: set[str] | None) -> str:
        if job.id.startswith(RECURRING_PREFIX):
            return await self._recurring(job, session)
        return await self._one_off(job, session, claimed)

    async def _one_off(self, job: Job, session: AsyncSession, claimed: set[str] | None) -> str:
        """`claimed`: the ids already claimed together (None: claim this one now)."""
        name, args = job.args[0], job.args[1:]
        kind = self.registry.kinds.get(name)
        now = self.clock.now()
        if kind is None:
            log.error("job %s: no job kind %s in this release; trying again later", job.id, name)
            await self._move(job, now + UNKNOWN_KIND_RETRY, session)
            return "skipped"
        scheduled_for = job.trigger.run_date if isinstance(job.trigger, DateTrigger) else None
        scheduled_for = scheduled_for or job.next_run_time
        if claimed is not None:
            if job.id not in claimed:
                return "gone"
        elif not await take_run(
            session, job.id, timestamp(job.next_run_time), next_run=None, state=None
        ):
            return "gone"
        if not run_late(scheduled_for, now, kind.misfire_grace):
            log.warning("job %s due %s is too late at %s: dropped", job.id, scheduled_for, now)
            if kind.on_missed is not None:
                await kind.on_missed(session, *args, scheduled_for=scheduled_for, at=now)
            return "missed"
        await job.func(*job.args, session=session, at=now, registry=self.registry)
        return "ran"

    async def _recurring(self, job: Job, session: AsyncSession) -> str:
        kind = self.registry.recurring.get(job.args[0])
        now = self.clock.now()
        run_times = job._get_run_times(now)
        if kind is None or not run_times:
            return "skipped"  # a stale one is removed when the recurring jobs are installed
        if kind.coalesce:
            run_times = run_times[-1:]
        next_time = job.trigger.get_next_fire_time(run_times[-1], now)
        if not await take_run(
            session,
            job.id,
            timestamp(job.next_run_time),
            next_run=timestamp(next_time),
            state=self._state_at(job, next_time),
        ):
            return "gone"
        late = [t for t in run_times if not run_late(t, now, kind.misfire_grace)]
        for _ in range(len(run_times) - len(late)):
            await job.func(*job.args, session=session, at=now, registry=self.registry)
        if late:
            log.warning("%s: %s runs too late to make, skipped", kind.name, len(late))
        return "ran" if len(late) < len(run_times) else "missed"

    async def _failed(self, job: Job, exc: Exception) -> str:
        now = self.clock.now()
        if job.id.startswith(RECURRING_PREFIX):
            log.error(
                "recurring job %s failed; it runs again at its next time", job.id, exc_info=exc
            )
            if job.args[0] in self.registry.recurring:  # its claim rolled back: move on anyway
                times = job._get_run_times(now) or [job.next_run_time]
                await self._move(job, job.trigger.get_next_fire_time(times[-1], now))
            return "retry"
        failures = self.failures.get(job.id, 0) + 1
        if failures >= self.retry.max_attempts:
            log.error("job %s failed %s times, given up: %s", job.id, failures, exc)
            self.failures.pop(job.id, None)
            await self._move(job, None)
            return "given_up"
        self.failures[job.id] = failures
        delay = self.retry.delay(failures)
        log.warning("job %s failed (%s); trying again in %s", job.id, exc, delay, exc_info=exc)
        await self._move(job, now + delay)
        return "retry"

    async def _move(
        self, job: Job, next_time: datetime | None, session: AsyncSession | None = None
    ) -> None:
        """Sets the job's next run (None removes it), if nobody moved it meanwhile."""
        if session is None:
            async with self.db.sessions() as own, own.begin():
                return await self._move(job, next_time, own)
        await take_run(
            session,
            job.id,
            timestamp(job.next_run_time),
            next_run=timestamp(next_time),
            state=self._state_at(job, next_time),
        )

    def _state_at(self, job: Job, next_time: datetime | None) -> bytes | None:
        """The stored state of `job` moved to `next_time` (None: no state, the row goes)."""
        if next_time is None:
            return None
        due = job.next_run_time
        job._modify(next_run_time=next_time)
        try:
            return self.store.state_of(job)
        finally:
            job._modify(next_run_time=due)
