"""The planner: job requests (backend/job_requests.py, written in the same transaction as
the change behind them) become persistent APScheduler jobs with the request's id.

Safe to crash anywhere: a request is marked planned only after its job is in the store, and
adding it again replaces the job (same id). A request moved while the planner worked on it
(new time) is not marked, because the mark checks the time it planned; the next round plans
the new time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.clock import Clock
from backend.db import Database
from backend.job_requests import mark_planned_if_unchanged, unplanned
from scheduler.engine import ClockScheduler
from scheduler.jobs import RUN_JOB, Registry

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Planned:
    request_id: int
    job_id: str
    kind: str
    args: tuple[Any, ...]
    run_at: datetime


class Planner:
    def __init__(
        self, db: Database, scheduler: ClockScheduler, registry: Registry, clock: Clock
    ) -> None:
        self.db, self.scheduler, self.registry, self.clock = db, scheduler, registry, clock

    async def plan_once(self) -> int:
        """Plans up to BATCH requests; returns how many."""
        async with self.db.sessions() as session, session.begin():
            rows = [
                Planned(r.id, r.job_id, r.kind, tuple(r.args), r.run_at)
                for r in await unplanned(session, limit=BATCH)
            ]
        if not rows:
            return 0
        await asyncio.to_thread(self._add_all, rows)
        async with self.db.sessions() as session, session.begin():
            await mark_planned_if_unchanged(
                session, [(r.request_id, r.kind, r.run_at) for r in rows], at=self.clock.now()
            )
        return len(rows)

    async def plan_all(self) -> int:
        total = 0
        while planned := await self.plan_once():
            total += planned
            if planned < BATCH:
                break
        return total

    def _add_all(self, rows: list[Planned]) -> None:
        with self.scheduler.store.batched_writes():
            self._add_each(rows)

    def _add_each(self, rows: list[Planned]) -> None:
        zone = self.scheduler.timezone  # stored as a UTC timestamp, shown in the county's zone
        for row in rows:
            run_at = row.run_at.astimezone(zone)
            kind = self.registry.kinds.get(row.kind)
            if kind is None:
                log.error("job request %s names no known kind %s", row.job_id, row.kind)
            grace = kind.misfire_grace if kind is not None else None
            self.scheduler.add_job(
                RUN_JOB,
                "date",
                args=(row.kind, *row.args),
                id=row.job_id,
                name=row.kind,
                run_date=run_at,
                next_run_time=run_at,
                misfire_grace_time=int(grace.total_seconds()) if grace else None,
                coalesce=True,
                replace_existing=True,
            )
