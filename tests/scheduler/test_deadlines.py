"""The deadline sweep as the scheduler's recurring job: runs on the injected clock, survives a
database that is away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

from backend.db import open_database
from backend.leadership import FileLock
from scheduler.service import SchedulerService
from tests.bot.staff_steps import Pushes, staff_chat
from tests.bot.test_staff_flow import file_neighbour_case
from tests.chat import ChatDriver
from tests.conftest import TEST_KEY
from tests.scheduler.support import advance, running, service
from tests.waiting import until


async def test_the_scheduler_reassigns_an_unanswered_offer_when_the_clock_passes_48_hours(
    app, clock
) -> None:
    pushes = Pushes(app)
    await staff_chat(app, "m_zhou_03")
    luo = await staff_chat(app, "m_luo_03")
    number = await file_neighbour_case(ChatDriver(app.dialogue, "web-r", channel="webchat"))
    await pushes.deliver()
    svc = service(app.db, app.settings.resolved_database_url, clock)
    async with running(svc, clock):
        assert await pushes.to(luo) == []
        await advance(svc, clock, timedelta(hours=47))  # a sweep, nothing due yet
        assert await pushes.to(luo) == []
        await advance(svc, clock, timedelta(hours=2))
        offer = await pushes.to(luo)
        assert offer and number in offer[0].text


async def test_an_unreachable_database_is_a_warning_not_a_crash(tmp_path: Path, clock, caplog):
    url = "postgresql+asyncpg://127.0.0.1:1/nowhere"
    db = open_database(url, secret_key=TEST_KEY, var_dir=tmp_path)
    svc = SchedulerService(
        db, url, clock, clock.sleep, timezone="Asia/Shanghai", lock=FileLock(tmp_path / "lock")
    )
    try:
        with caplog.at_level(logging.WARNING):
            task = asyncio.create_task(svc.run_forever())
            await until(lambda: clock.sleeping, "the scheduler to wait and try again")
        assert not task.done() and not svc.leading
        assert "stopped leading" in caplog.text and "ERROR" not in caplog.text
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await db.dispose()
