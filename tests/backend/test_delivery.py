"""Outbox delivery: every push sent, retried with back-off, never claimed by two workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backend import outbox
from backend.clock import ManualClock
from backend.db import Database, open_database
from backend.delivery import (
    DeliveryPolicy,
    Push,
    RetryLater,
    Undeliverable,
    deliver_due,
    take_pushes,
)
from backend.models import OutboxMessage
from tests.conftest import TEST_KEY


class RecordingPlatform:
    """Stands in for a platform API: records what it was sent, can fail on request."""

    def __init__(self) -> None:
        self.sent: list[Push] = []
        self.failures: list[Exception] = []

    async def send(self, push: Push) -> None:
        await asyncio.sleep(0)  # a real send yields to the loop
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(push)


@pytest.fixture
async def db(database_url: str, tmp_path: Path):
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    yield database
    await database.dispose()


async def _enqueue(db: Database, clock: ManualClock, n: int = 1) -> None:
    async with db.sessions() as session, session.begin():
        for i in range(n):
            outbox.enqueue(
                session,
                channel="telegram",
                recipient=f"chat-{i}",
                message_key="push.mediator_assigned",
                params={"number": f"N{i}"},
                purpose="assignment",
                at=clock.now(),
            )


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_due_pushes_are_sent_once(db: Database, clock: ManualClock) -> None:
    await _enqueue(db, clock, 3)
    platform = RecordingPlatform()
    assert (await deliver_due(db, platform.send, clock))["sent"] == 3
    assert (await deliver_due(db, platform.send, clock))["sent"] == 0
    assert [p.payload["params"]["number"] for p in platform.sent] == ["N0", "N1", "N2"]
    assert {r.status for r in await _rows(db)} == {"sent"}


async def test_retry_after_is_honoured(db: Database, clock: ManualClock) -> None:
    await _enqueue(db, clock)
    platform = RecordingPlatform()
    platform.failures.append(RetryLater(30, "429 Too Many Requests"))
    assert (await deliver_due(db, platform.send, clock))["deferred"] == 1
    clock.advance(timedelta(seconds=29))
    assert sum((await deliver_due(db, platform.send, clock)).values()) == 0
    clock.advance(timedelta(seconds=2))
    assert (await deliver_due(db, platform.send, clock))["sent"] == 1
    (row,) = await _rows(db)
    assert row.attempts == 2 and row.last_error is None


async def test_errors_back_off_then_give_up_visibly(db: Database, clock: ManualClock) -> None:
    await _enqueue(db, clock)
    platform = RecordingPlatform()
    policy = DeliveryPolicy(first_backoff_seconds=10, max_attempts=3)
    platform.failures += [ConnectionError("down")] * 3
    await deliver_due(db, platform.send, clock, policy=policy)
    (row,) = await _rows(db)
    assert row.status == "pending" and row.next_attempt_at == clock.now() + timedelta(seconds=10)
    clock.advance(timedelta(seconds=10))
    await deliver_due(db, platform.send, clock, policy=policy)
    (row,) = await _rows(db)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=20)  # doubled
    clock.advance(timedelta(seconds=20))
    assert (await deliver_due(db, platform.send, clock, policy=policy))["failed"] == 1
    (row,) = await _rows(db)
    assert row.status == "failed" and "down" in (row.last_error or "")


async def test_undeliverable_fails_at_once(db: Database, clock: ManualClock) -> None:
    await _enqueue(db, clock)
    platform = RecordingPlatform()
    platform.failures.append(Undeliverable("bot was blocked by the user"))
    assert (await deliver_due(db, platform.send, clock))["failed"] == 1


async def test_a_send_interrupted_by_a_crash_goes_again_after_the_lease(
    db: Database, clock: ManualClock
) -> None:
    await _enqueue(db, clock)
    crashed = RecordingPlatform()
    crashed.failures.append(asyncio.CancelledError())  # the process dies mid-send
    with pytest.raises(asyncio.CancelledError):
        await deliver_due(db, crashed.send, clock)
    (row,) = await _rows(db)
    assert row.status == "sending"
    restarted = RecordingPlatform()
    assert sum((await deliver_due(db, restarted.send, clock)).values()) == 0  # lease still held
    clock.advance(timedelta(seconds=DeliveryPolicy().lease_seconds + 1))
    assert (await deliver_due(db, restarted.send, clock))["sent"] == 1


async def test_two_workers_never_send_the_same_push(db: Database, clock: ManualClock) -> None:
    await _enqueue(db, clock, 40)
    platform = RecordingPlatform()
    results = await asyncio.gather(
        *(deliver_due(db, platform.send, clock, limit=7) for _ in range(6))
    )
    assert sum(r["sent"] for r in results) == 40
    assert len({p.id for p in platform.sent}) == len(platform.sent) == 40


async def test_a_worker_claims_only_the_channels_it_serves(
    db: Database, clock: ManualClock
) -> None:
    await _enqueue(db, clock, 2)  # telegram
    async with db.sessions() as session, session.begin():
        outbox.enqueue_reply(
            session,
            channel="webchat",
            recipient="s1",
            reply={"text": "hi", "options": []},
            at=clock.now(),
        )
    platform = RecordingPlatform()
    assert (await deliver_due(db, platform.send, clock, channels=["webchat"]))["sent"] == 1
    assert [p.channel for p in platform.sent] == ["webchat"]
    assert [r.status for r in await _rows(db)] == ["pending", "pending", "sent"]


async def _web_push(db: Database, clock: ManualClock, recipient: str, text: str) -> None:
    async with db.sessions() as session, session.begin():
        outbox.enqueue_reply(
            session,
            channel="webchat",
            recipient=recipient,
            reply={"text": text, "options": []},
            at=clock.now(),
        )


async def test_a_page_takes_its_own_pushes_oldest_first_and_only_once(
    db: Database, clock: ManualClock
) -> None:
    await _web_push(db, clock, "s1", "first")
    await _web_push(db, clock, "s2", "someone else's")
    await _web_push(db, clock, "s1", "second")
    await _enqueue(db, clock)  # a telegram push

    taken = await take_pushes(db, clock, channel="webchat", recipient="s1")
    assert [p.payload["reply"]["text"] for p in taken] == ["first", "second"]
    assert await take_pushes(db, clock, channel="webchat", recipient="s1") == []
    assert [r.status for r in await _rows(db)] == ["sent", "pending", "sent", "pending"]


async def test_a_worker_skipping_the_web_chat_leaves_its_pushes_for_the_page(
    db: Database, clock: ManualClock
) -> None:
    await _web_push(db, clock, "s1", "for the page")
    await _enqueue(db, clock)
    platform = RecordingPlatform()
    outcome = await deliver_due(db, platform.send, clock, skip_channels=["webchat"])
    assert outcome["sent"] == 1 and [p.channel for p in platform.sent] == ["telegram"]
    taken = await take_pushes(db, clock, channel="webchat", recipient="s1")
    assert [p.payload["reply"]["text"] for p in taken] == ["for the page"]


async def test_a_burst_goes_to_many_recipients_at_once_each_recipients_pushes_in_order(
    db: Database, clock: ManualClock
) -> None:
    async with db.sessions() as session, session.begin():
        for n in range(3):  # three pushes for each of 30 chats
            for chat in range(30):
                outbox.enqueue(
                    session,
                    channel="telegram",
                    recipient=f"chat-{chat}",
                    message_key="push.mediator_assigned",
                    params={"number": f"N{n}"},
                    purpose="assignment",
                    at=clock.now(),
                )
    in_flight, most = 0, 0

    async def slow_send(push: Push) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(3):  # a platform round trip: other sends go on meanwhile
            await asyncio.sleep(0)
        in_flight -= 1
        sent.append(push)

    sent: list[Push] = []
    outcome = await deliver_due(db, slow_send, clock, limit=100)
    assert outcome["sent"] == 90
    assert most == DeliveryPolicy().concurrency
    for chat in range(30):
        numbers = [p.payload["params"]["number"] for p in sent if p.recipient == f"chat-{chat}"]
        assert numbers == ["N0", "N1", "N2"]
    assert {r.status for r in await _rows(db)} == {"sent"}
