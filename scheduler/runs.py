"""Running one due job: claim, misfire policy, the work, retries — one transaction per run.

The run is claimed in the job's own transaction (backend/job_runs.py), so it happens exactly
once even across a crash or two schedulers. Late beyond its kind's `misfire_grace`, a one-off
job is not run: its kind's `on_missed` records that instead, in the same transaction. A
recurring job that was due several times while the scheduler was down runs once when its kind
coalesces. A failing one-off job is tried again after 30 s, 2 min, 8 min, 32 min, then given up
(logged as an error); the count is kept in memory, so a restart grants a few more tries. A
failing recurring job simply waits for its next time. An unreachable database is not a
failure of the job: the error goes up to the loop, which backs off, and the job stays due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.triggers.date import DateTrigger

from backend.clock import Clock
from backend.db import Database, database_unreachable
from backend.job_runs import take_run
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
        """ran | missed | gone (run elsewhere or moved) | retry | given_up | skipped."""
        try:
            if job.id.startswith(RECURRING_PREFIX):
                outcome = await self._recurring(job)
            else:
                outcome = await self._one_off(job)
        except Exception as exc:
            if database_unreachable(exc):
                raise
            return await self._failed(job, exc)
        self.failures.pop(job.id, None)
        return outcome

    async def _one_off(self, job: Job) -> str:
        name, args = job.args[0], job.args[1:]
        kind = self.registry.kinds.get(name)
        if kind is None:
            log.error("job %s: no job kind %s in this release; trying again later", job.id, name)
            await self._move(job, self.clock.now() + UNKNOWN_KIND_RETRY)
            return "skipped"
        scheduled_for = job.trigger.run_date if isinstance(job.trigger, DateTrigger) else None
        scheduled_for = scheduled_for or job.next_run_time
        async with self.db.sessions() as session, session.begin():
            now = self.clock.now()
            if not await take_run(
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

    async def _recurring(self, job: Job) -> str:
        kind = self.registry.recurring.get(job.args[0])
        now = self.clock.now()
        run_times = job._get_run_times(now)
        if kind is None or not run_times:
            return "skipped"  # a stale one is removed when the recurring jobs are installed
        if kind.coalesce:
            run_times = run_times[-1:]
        next_time = job.trigger.get_next_fire_time(run_times[-1], now)
        state = self._state_at(job, next_time)
        late = [t for t in run_times if not run_late(t, now, kind.misfire_grace)]
        async with self.db.sessions() as session, session.begin():
            if not await take_run(
                session,
                job.id,
                timestamp(job.next_run_time),
                next_run=timestamp(next_time),
                state=state,
            ):
                return "gone"
            for _ in range(len(run_times) - len(late)):
                await job.func(*job.args, session=session, at=now, registry=self.registry)
        if late:
            log.warning("%s: %s runs too late to make, skipped", kind.name, len(late))
        return "ran" if len(late) < len(run_times) else "missed"

    async def _failed(self, job: Job, exc: Exception) -> str:
        now = self.clock.now()
        if job.id.startswith(RECURRING_PREFIX):
            log.exception("recurring job %s failed; it runs again at its next time", job.id)
            kind = self.registry.recurring.get(job.args[0])
            if kind is not None:  # the claim was rolled back with the work: move on anyway
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

    async def _move(self, job: Job, next_time: datetime | None) -> None:
        """Sets the job's next run (None removes it), if nobody moved it meanwhile."""
        state = self._state_at(job, next_time)
        async with self.db.sessions() as session, session.begin():
            await take_run(
                session,
                job.id,
                timestamp(job.next_run_time),
                next_run=timestamp(next_time),
                state=state,
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
