"""Running a background service (`jiefen worker`, `jiefen scheduler`) as a process of its own."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


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

    asyncio.run(go())
