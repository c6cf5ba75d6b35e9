"""Every timed job the scheduler knows, and the one function durable jobs call.

A stored job names `scheduler.jobs:run_job` with args `(kind, *args)`: plain strings and ints,
never bot objects, so a job survives a restart and an upgrade (the kind's code and its misfire
policy are looked up when it runs). Each feature lists its kinds in its own module
(kinds_booking, kinds_aftercare, kinds_report); the scheduler's own are here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend import deadlines
from scheduler import kinds_aftercare, kinds_booking, kinds_report
from scheduler.kinds import JobKind, RecurringJob

DEFAULT_ZONE = "Asia/Shanghai"  # the default of JIEFEN_TIMEZONE
RUN_JOB = "scheduler.jobs:run_job"
RECURRING_PREFIX = "recurring:"  # job ids of recurring jobs; one-off ids come from requests


async def deadline_sweep(session: AsyncSession, *, at: datetime) -> None:
    await deadlines.sweep(session, at=at)


SCHEDULER_RECURRING = [
    # Late runs still matter (an offer is still unanswered); after downtime, one catch-up run.
    RecurringJob("deadline_sweep", deadline_sweep, "interval", {"minutes": 1}, None, True),
]


@dataclass(frozen=True)
class Registry:
    kinds: Mapping[str, JobKind] = field(default_factory=dict)
    recurring: Mapping[str, RecurringJob] = field(default_factory=dict)

    def with_kinds(self, *extra: JobKind | RecurringJob) -> Registry:
        """This registry plus `extra` (tests add kinds of their own this way)."""
        kinds, recurring = dict(self.kinds), dict(self.recurring)
        for kind in extra:
            if isinstance(kind, RecurringJob):
                recurring[kind.name] = kind
            else:
                kinds[kind.name] = kind
        return Registry(kinds, recurring)


def build_registry(kinds: Iterable[JobKind], recurring: Iterable[RecurringJob]) -> Registry:
    registry = Registry()
    names: set[str] = set()
    for kind in [*kinds, *recurring]:
        if kind.name in names:
            raise ValueError(f"job kind {kind.name} is defined twice")
        names.add(kind.name)
        registry = registry.with_kinds(kind)
    return registry


def default_registry(zone: str = DEFAULT_ZONE) -> Registry:
    """Every kind, for a county in time zone `zone` (cron triggers and month boundaries)."""
    return build_registry(
        [*kinds_booking.KINDS, *kinds_aftercare.KINDS, *kinds_report.KINDS],
        [
            *SCHEDULER_RECURRING,
            *kinds_booking.RECURRING,
            *kinds_aftercare.RECURRING,
            *kinds_report.recurring(zone),
        ],
    )


async def run_job(
    kind: str,
    *args: Any,
    session: AsyncSession | None = None,
    at: datetime | None = None,
    registry: Registry | None = None,
) -> None:
    """What every stored job calls: the kind's handler, in the caller's transaction. The
    scheduler (scheduler/runs.py) supplies the session and the time."""
    if session is None or at is None:
        raise TypeError("run_job is called by the scheduler, with a session and the time")
    registry = registry or default_registry()
    if kind in registry.kinds:
        await registry.kinds[kind].handler(session, *args, at=at)
    elif kind in registry.recurring:
        await registry.recurring[kind].handler(session, *args, at=at)
    else:
        raise LookupError(f"no job kind {kind}")
