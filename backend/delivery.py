"""Delivering the outbox: claim due pushes with a lease, send outside any transaction, record
the outcome.

Guarantees: a push committed with its cause is sent even if the process dies before sending
(it stays due); a push is sent twice only if the process dies between a successful send and
recording it (the lease expires and it goes again, once). A claimed batch goes out to several
recipients at a time (DeliveryPolicy.concurrency; each recipient's pushes in order), so a
burst is not one platform round trip after another, and records sent pushes 16 at a time; a
worker killed mid-batch repeats at most the pushes it was sending or had sent but not yet
recorded at that moment (32 at most), each once. Claiming is one UPDATE ... RETURNING (with SKIP
LOCKED on PostgreSQL), so two workers never claim the same push.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update

from backend.clock import Clock
from backend.db import Database
from backend.models import ChannelIdentity, OutboxMessage, Resident

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The platform asked us to wait (Telegram 429 retry_after, WeChat busy...)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds} s")
        self.seconds = seconds


class Undeliverable(Exception):
    """Retrying cannot help (blocked by the user, unknown chat, channel switched off)."""


@dataclass(frozen=True)
class Push:
    id: int
    channel: str
    recipient: str
    payload: dict[str, Any]
    locale: str
    attempts: int


@dataclass(frozen=True)
class DeliveryPolicy:
    lease_seconds: float = 120
    first_backoff_seconds: float = 5
    max_backoff_seconds: float = 3600
    max_attempts: int = 10
    # Recipients served at once within a claimed batch (a burst of reminders would otherwise
    # wait for each platform round trip in turn); one recipient's pushes stay in order.
    concurrency: int = 16
    # Sent pushes recorded together, this many at most (one commit for them, not one each).
    record_batch: int = 16

    def backoff(self, attempts: int) -> float:
        return min(self.first_backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)


Send = Callable[[Push], Awaitable[None]]
_OLDEST_FIRST = select(OutboxMessage.id).order_by(OutboxMessage.id)


async def claim_due(
    db: Database,
    clock: Clock,
    *,
    limit: int,
    policy: DeliveryPolicy,
    channels: Collection[str] | None = None,
    skip_channels: Collection[str] = (),
) -> list[Push]:
    """Due pushes, leased to the caller; only those for `channels` when given, never those
    for `skip_channels` (the web chat's, which its page fetches: take_pushes)."""
    now = clock.now()
    due = _OLDEST_FIRST.where(
        or_(
            and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
        )
    )
    if channels is not None:
        due = due.where(OutboxMessage.channel.in_(list(channels)))
    if skip_channels:
        due = due.where(OutboxMessage.channel.not_in(list(skip_channels)))
    leased = {
        "status": "sending",
        "lease_until": now + timedelta(seconds=policy.lease_seconds),
        "attempts": OutboxMessage.attempts + 1,
    }
    return await _take(db, due.limit(limit), leased)


async def take_pushes(
    db: Database, clock: Clock, *, channel: str, recipient: str, limit: int = 20
) -> list[Push]:
    """The recipient's due pushes, marked sent as they are handed over: for a channel whose
    client fetches them (the web chat's page polls), so any server process can answer it and
    a push waits in the database, not in one process's memory, until the page asks."""
    now = clock.now()
    due = _OLDEST_FIRST.where(
        OutboxMessage.channel == channel,
        OutboxMessage.recipient == recipient,
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
    )
    sent = {"status": "sent", "sent_at": now, "attempts": OutboxMessage.attempts + 1}
    return await _take(db, due.limit(limit), sent)


async def _take(db: Database, due: Select[tuple[int]], values: dict[str, Any]) -> list[Push]:
    """Moves the `due` rows on to `values` in one UPDATE ... RETURNING (SKIP LOCKED on
    PostgreSQL: two processes never take the same row) and reads them as pushes."""
    if not db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    async with db.sessions() as session, session.begin():
        ids = (
            await session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(**values)
                .returning(OutboxMessage.id)
            )
        ).all()
        if not ids:
            return []
        rows = await session.execute(
            select(OutboxMessage, Resident.locale)
            .outerjoin(
                ChannelIdentity,
                and_(
                    ChannelIdentity.channel == OutboxMessage.channel,
                    ChannelIdentity.external_id == OutboxMessage.recipient,
                ),
            )
            .outerjoin(Resident, Resident.id == ChannelIdentity.resident_id)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return [
            Push(m.id, m.channel, m.recipient, dict(m.payload), locale or "zh", m.attempts)
            for m, locale in rows
        ]


async def _record(db: Database, push_id: int, **values: Any) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == push_id, OutboxMessage.status == "sending")
            .values(lease_until=None, **values)
        )


async def deliver_due(
    db: Database,
    send: Send,
    clock: Clock,
    *,
    limit: int = 100,
    policy: DeliveryPolicy | None = None,
    channels: Collection[str] | None = None,
    skip_channels: Collection[str] = (),
) -> Counter[str]:
    """Sends what is due now (for `channels` only, when given, and never for
    `skip_channels`); returns how many were sent, deferred and given up."""
    policy = policy or DeliveryPolicy()
    outcome: Counter[str] = Counter()
    pushes = await claim_due(
        db, clock, limit=limit, policy=policy, channels=channels, skip_channels=skip_channels
    )
    by_recipient: dict[tuple[str, str], list[Push]] = {}
    for push in pushes:
        by_recipient.setdefault((push.channel, push.recipient), []).append(push)
    gate = asyncio.Semaphore(max(1, policy.concurrency))
    recorder = _SentRecorder(db, policy.record_batch)

    async def in_order(queue: list[Push]) -> None:
        async with gate:
            for push in queue:
                result = await _deliver_one(db, send, clock, policy, push)
                if result == "sent":
                    await recorder.add(push.id, clock.now())
                outcome[result] += 1

    results = await asyncio.gather(
        *(in_order(q) for q in by_recipient.values()), return_exceptions=True
    )
    await recorder.flush()
    for result in results:
        if isinstance(result, BaseException):
            raise result  # e.g. the database went away while recording: the worker backs off
    return outcome


class _SentRecorder:
    """Records sent pushes a few at a time, in one statement: a burst then costs one commit
    per `size` pushes. Until recorded, a push is `sending` under its lease (a crash repeats
    it once, as for a push sent just before the crash)."""

    def __init__(self, db: Database, size: int) -> None:
        self.db, self.size = db, max(1, size)
        self.rows: list[dict[str, Any]] = []

    async def add(self, push_id: int, at: datetime) -> None:
        self.rows.append({"push_id": push_id, "at": at})
        if len(self.rows) >= self.size:
            await self.flush()

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        table = OutboxMessage.__table__
        stmt = (
            update(table)
            .where(table.c.id == bindparam("push_id"), table.c.status == "sending")
            .values(status="sent", sent_at=bindparam("at"), lease_until=None, last_error=None)
        )
        async with self.db.sessions() as session, session.begin():
            await session.execute(stmt, rows)


async def _deliver_one(
    db: Database, send: Send, clock: Clock, policy: DeliveryPolicy, push: Push
) -> str:
    try:
        await send(push)
    except RetryLater as exc:
        await _record(
            db,
            push.id,
            status="pending",
            last_error=str(exc)[:500],
            next_attempt_at=clock.now() + timedelta(seconds=exc.seconds),
        )
        return "deferred"
    except Exception as exc:
        permanent = isinstance(exc, Undeliverable) or push.attempts >= policy.max_attempts
        if permanent:
            log.error(
                "push %s to %s/%s given up after %s attempts: %s",
                push.id,
                push.channel,
                push.recipient,
                push.attempts,
                exc,
            )
            await _record(db, push.id, status="failed", last_error=str(exc)[:500])
            return "failed"
        delay = policy.backoff(push.attempts)
        log.warning("push %s failed (%s); retrying in %.0f s", push.id, exc, delay)
        await _record(
            db,
            push.id,
            status="pending",
            last_error=str(exc)[:500],
            next_attempt_at=clock.now() + timedelta(seconds=delay),
        )
        return "deferred"
    return "sent"  # recorded by the batch's _SentRecorder
