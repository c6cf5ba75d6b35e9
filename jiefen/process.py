"""Running a background service (`jiefen worker`, `jiefen scheduler`) as a process of its own."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """On uvloop where it is installed (not on Windows): the server spends a good part of
    each message in the event loop and the database driver's I/O, and uvloop does that work
    in C (docs/benchmarks.md, WeChat channel throughput). The standard loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def run_until_stopped(service: Coroutine[Any, Any, None], name: str) -> None:
    """Runs `service` until SIGTERM or Ctrl-C cancels it (work cut off mid-way rolls back and
    is done again later, by this process or another)."""

    async def go() -> None:
        task = asyncio.create_task(service)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            log.info("%s stopped", name)

    run_event_loop(go())
