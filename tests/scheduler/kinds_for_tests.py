"""Job kinds for scheduler tests: each run (or missed run) leaves one outbox row a test can
count, with no dedup key, so a job run twice would show as two rows."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import outbox
from backend.db import Database
from backend.models import OutboxMessage
from scheduler.jobs import Registry, default_registry
from scheduler.kinds import JobKind, RecurringJob

FAILS_LEFT: dict[str, int] = {}  # job arg -> how many more runs should fail
# Seconds each run takes inside its transaction (a process test widens the window in which
# the leader is killed mid-run; the test itself never sleeps).
SLOW_SECONDS = 0.0


async def ping(session: AsyncSession, name: str, *, at: datetime) -> None:
    if FAILS_LEFT.get(name, 0) > 0:
        FAILS_LEFT[name] -= 1
        raise RuntimeError(f"{name} failing on purpose")
    if SLOW_SECONDS:
        await asyncio.sleep(SLOW_SECONDS)
    outbox.enqueue(
        session,
        channel="telegram",
        recipient=name,
        message_key="test.ping",
        params={"at": at.isoformat()},
        purpose="test_ping",
        at=at,
    )


async def ping_missed(
    session: AsyncSession, name: str, *, scheduled_for: datetime, at: datetime
) -> None:
    outbox.enqueue(
        session,
        channel="telegram",
        recipient=name,
        message_key="test.missed",
        params={"scheduled_for": scheduled_for.isoformat()},
        purpose="test_missed",
        at=at,
    )


async def tick(session: AsyncSession, *, at: datetime) -> None:
    await ping(session, "tick", at=at)


# Like a reminder: an hour late still goes; a day late is dropped and recorded.
PING = JobKind("test_ping", ping, timedelta(hours=6), ping_missed)
TICK = RecurringJob("test_tick", tick, "interval", {"minutes": 10}, None, coalesce=True)


def registry() -> Registry:
    return default_registry().with_kinds(PING, TICK)


async def rows(db: Database, recipient: str, purpose: str = "test_ping") -> int:
    async with db.sessions() as session:
        stmt = select(func.count()).where(
            OutboxMessage.recipient == recipient, OutboxMessage.purpose == purpose
        )
        return int(await session.scalar(stmt) or 0)


async def sent_at(db: Database, recipient: str) -> list[str]:
    async with db.sessions() as session:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
        return [m.payload["params"].get("at", "") for m in await session.scalars(stmt)]
