"""Waiting in tests for an effect of background work (never for time to pass: that is the
controllable clock's job)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def until(condition: Callable[[], object], what: str, *, seconds: float = 10.0) -> None:
    """Returns once `condition()` is true; fails the test after `seconds`."""
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def until_async(
    condition: Callable[[], Awaitable[object]], what: str, *, seconds: float = 10.0
) -> None:
    """`until` for a condition that has to ask something (the database, say)."""
    for _ in range(int(seconds / 0.005)):
        if await condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")
