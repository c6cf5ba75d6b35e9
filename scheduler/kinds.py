"""What a timed job is, as the scheduler sees it: a named backend handler plus the policy for
running late.

Each feature lists its kinds in its own module (scheduler/kinds_*.py); scheduler/jobs.py
gathers them. A handler is a plain async function of the backend, run by the scheduler in one
transaction: `handler(session, *args, at=now)`. Its args are the JSON-able values stored with
the job (ints and strings), never bot objects, so a job survives a restart and means the same
thing after an upgrade.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Handler = Callable[..., Awaitable[None]]  # async (session, *args, at: datetime) -> None
# async (session, *args, scheduled_for: datetime, at: datetime) -> None: records a dropped run
MissedHandler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    """A one-off job asked for through backend.job_requests (e.g. a reminder)."""

    name: str
    handler: Handler
    # Late by more than this (the server was down), the run is dropped and `on_missed` records
    # it; None runs it however late.
    misfire_grace: timedelta | None
    on_missed: MissedHandler | None = None


@dataclass(frozen=True)
class RecurringJob:
    """A job the scheduler keeps itself (a sweep, the monthly report): an APScheduler trigger
    given as `trigger` ("interval" | "cron") and its keyword arguments."""

    name: str
    handler: Callable[[AsyncSession], Awaitable[None]] | Callable[..., Awaitable[None]]
    trigger: str
    trigger_args: dict[str, Any]
    misfire_grace: timedelta | None
    coalesce: bool = True  # after downtime, one catch-up run instead of one per missed time


def run_late(scheduled_for: datetime, now: datetime, grace: timedelta | None) -> bool:
    """Whether a run due at `scheduled_for` may still go at `now`."""
    return grace is None or now - scheduled_for <= grace
