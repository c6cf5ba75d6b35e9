"""The deadline sweep: offers nobody answered, mediations that ran over.

One sweep is one transaction; the server runs it every minute (issue 6 moves it into the
persistent scheduler) and tests run it after moving a ManualClock.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.assignments import escalate_overdue_mediations, expire_overdue_offers
from backend.clock import Clock
from backend.db import Database


@dataclass(frozen=True)
class SweepResult:
    offers_expired: int
    mediations_escalated: int


async def sweep_deadlines(db: Database, clock: Clock) -> SweepResult:
    async with db.sessions() as session, session.begin():
        at = clock.now()
        expired = await expire_overdue_offers(session, at=at)
        escalated = await escalate_overdue_mediations(session, at=at)
    return SweepResult(expired, escalated)
