"""Time source. Everything time-dependent asks a Clock, so tests can move time by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

# Waiting, as a parameter: asyncio.sleep in production, ManualClock.sleep in tests.
Sleep = Callable[[float], Awaitable[None]]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; its `sleep` returns when it has been moved on."""

    def __init__(self, start: datetime) -> None:
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._wake()

    def set(self, moment: datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        self._wake()

    async def sleep(self, seconds: float) -> None:
        """asyncio.sleep on this clock: yields, then waits until the clock passes the time."""
        await asyncio.sleep(0)
        deadline = self._now + timedelta(seconds=seconds)
        if deadline <= self._now:
            return
        entry = (deadline, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    @property
    def sleeping(self) -> int:
        """How many tasks wait in `sleep`, so a test knows when to move the clock on."""
        return len(self._sleepers)

    def _wake(self) -> None:
        for deadline, future in list(self._sleepers):
            if deadline <= self._now:
                self._sleepers.remove((deadline, future))
                if not future.done():
                    future.set_result(None)
