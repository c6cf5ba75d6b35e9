"""Test support: `python tests/scheduler_process.py` is `jiefen scheduler` (the same code, its
own process, settings from JIEFEN_* variables) with the test job kinds and quicker ticks, so a
test can run two of them against one database and kill the leader."""

from __future__ import annotations

import os

from jiefen.logs import configure_logging
from jiefen.scheduler import main
from jiefen.settings import load_settings
from scheduler.service import SchedulerOptions
from tests.scheduler import kinds_for_tests

if __name__ == "__main__":
    configure_logging("INFO")
    options = SchedulerOptions(
        tick_seconds=float(os.environ.get("JIEFEN_TEST_TICK_SECONDS", "0.2")),
        standby_seconds=float(os.environ.get("JIEFEN_TEST_STANDBY_SECONDS", "0.2")),
        concurrency=int(os.environ.get("JIEFEN_TEST_CONCURRENCY", "2")),
    )
    kinds_for_tests.SLOW_SECONDS = float(os.environ.get("JIEFEN_TEST_SLOW_SECONDS", "0"))
    main(load_settings(), options=options, registry=kinds_for_tests.registry())
