"""Claiming one run of a stored APScheduler job inside the transaction that does the work.

APScheduler's own loop moves a job on (or deletes it) in the job store *before* its executor
runs it, in a transaction of its own: a crash in between loses the run, and two schedulers
could both run it. Here the run is claimed by a conditional DELETE (a one-off job) or UPDATE
(a recurring job moved to its next time) of its row in `apscheduler_jobs`, in the same
transaction as the job's work: the two commit together or not at all. The row lock is held
until commit, so a second scheduler that reaches the same row waits, then finds it gone or
moved and does nothing. A job moved meanwhile (re-planned for another time) is not claimed
either: its stored due time no longer matches.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models_scheduling import apscheduler_jobs

jobs = apscheduler_jobs.c


async def take_run(
    session: AsyncSession,
    job_id: str,
    due: float,
    *,
    next_run: float | None,
    state: bytes | None,
) -> bool:
    """Claims the run due at `due` (the stored UTC timestamp): the row is deleted when the job
    has no next run, else moved to `next_run` with the job's new pickled `state`. False when
    the job is gone or no longer due at `due` (run by someone else, moved, removed)."""
    where = (jobs.id == job_id, jobs.next_run_time == due)
    if next_run is None:
        result = await session.execute(delete(apscheduler_jobs).where(*where))
    else:
        stmt = update(apscheduler_jobs).where(*where)
        result = await session.execute(stmt.values(next_run_time=next_run, job_state=state))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def take_one_off_runs(session: AsyncSession, due: Sequence[tuple[str, float]]) -> set[str]:
    """`take_run` for many one-off jobs at once, (job id, due) each, in one statement; returns
    the ids claimed."""
    if not due:
        return set()
    stmt = (
        delete(apscheduler_jobs)
        .where(tuple_(jobs.id, jobs.next_run_time).in_(list(due)))
        .returning(jobs.id)
    )
    return set((await session.execute(stmt)).scalars())
