"""The deadline sweep loop: runs on the injected clock, survives a database that is away."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from backend.db import open_database
from scheduler.deadlines import DeadlineSweeper
from tests.bot.staff_steps import Pushes, staff_chat
from tests.bot.test_staff_flow import file_neighbour_case
from tests.chat import ChatDriver
from tests.conftest import TEST_KEY
from tests.waiting import until


async def test_the_loop_reassigns_an_unanswered_offer_when_the_clock_passes_48_hours(
    app, clock
) -> None:
    pushes = Pushes(app)
    await staff_chat(app, "m_zhou_03")
    luo = await staff_chat(app, "m_luo_03")
    number = await file_neighbour_case(ChatDriver(app.dialogue, "web-r", channel="webchat"))
    await pushes.deliver()
    sweeper = DeadlineSweeper(app.db, clock, clock.sleep, every=60)
    task = asyncio.create_task(sweeper.run_forever())
    try:
        await until(lambda: clock.sleeping, "the first sweep")
        assert await pushes.to(luo) == []
        clock.advance(timedelta(hours=47))  # wakes the loop: a sweep, nothing due yet
        await _next_round(clock)
        assert await pushes.to(luo) == []
        clock.advance(timedelta(hours=2))
        await _next_round(clock)
        offer = await pushes.to(luo)
        assert offer and number in offer[0].text
    finally:
        task.cancel()


async def _next_round(clock) -> None:
    await until(lambda: clock.sleeping, "the loop to sweep and wait again")


async def test_an_unreachable_database_is_a_warning_not_a_crash(tmp_path: Path, clock, caplog):
    db = open_database(
        "postgresql+asyncpg://127.0.0.1:1/nowhere", secret_key=TEST_KEY, var_dir=tmp_path
    )
    try:
        with caplog.at_level(logging.WARNING):
            assert await DeadlineSweeper(db, clock, clock.sleep).run_once() is None
        assert "database unreachable" in caplog.text
    finally:
        await db.dispose()
