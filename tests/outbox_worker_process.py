"""Test support: `python tests/outbox_worker_process.py` is `jiefen worker` (the same code, its
own process, settings from JIEFEN_* variables) living JIEFEN_TEST_CLOCK_OFFSET seconds in the
future, so a test can start a worker "three minutes later", after a lease ran out, without
waiting three minutes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from backend.clock import SystemClock
from jiefen.logs import configure_logging
from jiefen.settings import load_settings
from jiefen.worker import main

OFFSET_VARIABLE = "JIEFEN_TEST_CLOCK_OFFSET"


class OffsetClock:
    """The system clock, moved on by a fixed amount."""

    def __init__(self, offset: timedelta) -> None:
        self.offset, self._system = offset, SystemClock()

    def now(self) -> datetime:
        return self._system.now() + self.offset


if __name__ == "__main__":
    configure_logging("INFO")
    offset = timedelta(seconds=float(os.environ.get(OFFSET_VARIABLE, "0")))
    main(load_settings(), OffsetClock(offset))
