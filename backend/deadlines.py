"""The deadline sweep: offers nobody answered, mediations that ran over.

The scheduler runs `sweep` every minute as its `deadline_sweep` job (scheduler/jobs.py), in
the job's transaction; tests run `sweep_deadlines` after moving a ManualClock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.assignments import escalate_overdue_mediations, expire_overdue_offers
from backend.clock import Clock
from backend.db import Database


@dataclass(frozen=True)
class SweepResult:
    offers_expired: int
    mediations_escalated: int


async def sweep(session: AsyncSession, *, at: datetime) -> SweepResult:
    """Offers nobody answered go to the next mediator; overdue mediations go one tier up
    (backend/assignments.py writes the pushes to the outbox)."""
    expired = await expire_overdue_offers(session, at=at)
    escalated = await escalate_overdue_mediations(session, at=at)
    return SweepResult(expired, escalated)


async def sweep_deadlines(db: Database, clock: Clock) -> SweepResult:
    """One sweep in a transaction of its own."""
    async with db.sessions() as session, session.begin():
        return await sweep(session, at=clock.now())
