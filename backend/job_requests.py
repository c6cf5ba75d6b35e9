"""Timed jobs asked for in the same transaction as the change behind them.

A booking or a status change adds a `JobRequest` row; the scheduler's planner (scheduler/)
turns unplanned rows into persistent APScheduler jobs with the same id. Asking again for the
same job id moves it (new time, planned anew), so callers can use stable ids such as
`reminder:24h:appointment:12`. Job functions look at the current state when they run, so a
job made pointless by a later change (a cancelled booking) does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import lock_skipping_locked, upsert_insert
from backend.models_scheduling import JobRequest


@dataclass(frozen=True)
class TimedJob:
    job_id: str
    kind: str
    args: tuple[Any, ...]
    run_at: datetime
    case_id: int | None = None


async def request_jobs(session: AsyncSession, jobs: Sequence[TimedJob], *, at: datetime) -> None:
    """Adds or moves each job (by id); the planner picks them up after this commits."""
    insert = upsert_insert(session)
    for job in jobs:
        values = {
            "job_id": job.job_id,
            "kind": job.kind,
            "args": list(job.args),
            "run_at": job.run_at,
            "case_id": job.case_id,
            "created_at": at,
            "planned_at": None,
        }
        stmt = insert(JobRequest).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[JobRequest.job_id],
            set_={
                "kind": job.kind,
                "args": list(job.args),
                "run_at": job.run_at,
                "planned_at": None,
            },
        )
        await session.execute(stmt)


async def unplanned(session: AsyncSession, *, limit: int = 500) -> list[JobRequest]:
    """Requests not yet handed to the scheduler, oldest first (locked against a second
    planner on PostgreSQL)."""
    stmt = select(JobRequest).where(JobRequest.planned_at.is_(None)).order_by(JobRequest.id)
    return list(await session.scalars(lock_skipping_locked(stmt.limit(limit), session)))


async def mark_planned(session: AsyncSession, ids: Sequence[int], *, at: datetime) -> None:
    if ids:
        await session.execute(
            update(JobRequest).where(JobRequest.id.in_(list(ids))).values(planned_at=at)
        )


async def mark_planned_if_unchanged(
    session: AsyncSession, planned: Sequence[tuple[int, str, datetime]], *, at: datetime
) -> None:
    """Marks (id, kind, run_at) requests planned unless they were asked for anew meanwhile
    (another time or kind): those stay unplanned and are planned again."""
    if not planned:
        return
    table = JobRequest.__table__
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.kind == bindparam("b_kind"),
            table.c.run_at == bindparam("b_run_at"),
            table.c.planned_at.is_(None),
        )
        .values(planned_at=at)
    )
    rows = [{"b_id": i, "b_kind": kind, "b_run_at": run_at} for i, kind, run_at in planned]
    await session.execute(stmt, rows)
