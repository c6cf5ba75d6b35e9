"""`jiefen scheduler`: the scheduler alone, in its own process (beside `jiefen serve`, which
runs one too unless told not to). However many run, one leads (a lock in the database) and the
others stand by, taking over within seconds when the leader stops or dies."""

from __future__ import annotations

import asyncio
import logging

from backend.clock import Clock, SystemClock
from jiefen.process import run_until_stopped
from jiefen.settings import Settings
from scheduler.jobs import Registry
from scheduler.service import SchedulerOptions, SchedulerService

log = logging.getLogger(__name__)


async def run_scheduler(
    settings: Settings,
    *,
    clock: Clock | None = None,
    options: SchedulerOptions | None = None,
    registry: Registry | None = None,
) -> None:
    """Plans and runs timed jobs (or stands by) until cancelled."""
    from jiefen.app import open_store

    db = await open_store(settings)
    service = SchedulerService(
        db,
        settings.resolved_database_url,
        clock or SystemClock(),
        asyncio.sleep,
        timezone=settings.timezone,
        options=options,
        registry=registry,
    )
    try:
        await service.run_forever()
    finally:
        await db.dispose()


def main(
    settings: Settings,
    clock: Clock | None = None,
    options: SchedulerOptions | None = None,
    registry: Registry | None = None,
) -> None:
    """Runs until SIGTERM or Ctrl-C; a job cut off mid-run rolls back and runs again later."""
    running = run_scheduler(settings, clock=clock, options=options, registry=registry)
    run_until_stopped(running, "scheduler")
