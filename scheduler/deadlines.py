"""The deadline sweep as a background loop: every minute, offers nobody answered go to the
next mediator and overdue mediations go one tier up (backend/deadlines.py does the work and
writes the pushes to the outbox). Issue 6 moves this into the persistent APScheduler."""

from __future__ import annotations

import logging

from backend.clock import Clock, Sleep
from backend.db import Database, database_unreachable
from backend.deadlines import SweepResult, sweep_deadlines

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60.0


class DeadlineSweeper:
    def __init__(self, db: Database, clock: Clock, sleep: Sleep, *, every: float = SWEEP_SECONDS):
        self.db, self.clock, self.sleep, self.every = db, clock, sleep, every

    async def run_once(self) -> SweepResult | None:
        try:
            result = await sweep_deadlines(self.db, self.clock)
        except Exception as exc:
            if database_unreachable(exc):
                log.warning("deadline sweep skipped: database unreachable")
            else:
                log.exception("deadline sweep failed; trying again next round")
            return None
        if result.offers_expired or result.mediations_escalated:
            log.info(
                "deadlines: %s offers re-assigned, %s mediations escalated",
                result.offers_expired,
                result.mediations_escalated,
            )
        return result

    async def run_forever(self) -> None:
        while True:
            await self.run_once()
            await self.sleep(self.every)
