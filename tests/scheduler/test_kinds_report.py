"""The monthly summary as a scheduled job: it fires at 08:00 county time on the 1st, a restart
does not send it again, and one run three days late still goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.clock import ManualClock
from scheduler.jobs import build_registry
from scheduler.kinds_report import recurring
from scheduler.service import SchedulerService
from tests.case_setup import link_chat, pushes
from tests.report_setup import COUNTY
from tests.scheduler.support import ZONE, advance, running


def _service(app, database_url: str, clock: ManualClock) -> SchedulerService:
    return SchedulerService(
        app.db, database_url, clock, clock.sleep, timezone=ZONE,
        registry=build_registry([], recurring(ZONE)),
    )


def _local(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=COUNTY).astimezone(UTC)


def test_the_job_is_a_coalesced_cron_job_on_the_first_at_eight_county_time() -> None:
    [job] = recurring("Asia/Shanghai")
    assert job.name == "monthly_report_summary" and job.trigger == "cron"
    assert job.trigger_args == {"day": 1, "hour": 8, "minute": 0, "timezone": "Asia/Shanghai"}
    assert job.coalesce and job.misfire_grace == timedelta(days=3)


async def test_supervisors_get_the_summary_at_eight_on_the_first_once_across_a_restart(
    app, database_url, clock: ManualClock
) -> None:
    await link_chat(app, "s_lou_01", "chat-lou")
    clock.set(_local(1, 7))
    first = _service(app, database_url, clock)
    async with running(first, clock):
        await advance(first, clock, timedelta(minutes=59))
        assert await pushes(app, "report") == []
        await advance(first, clock, timedelta(minutes=2))
        [(row, push)] = await pushes(app, "report")
    assert row.dedup_key == "report-summary:2026-11:s_lou_01"
    assert "2026-11" in push.text
    second = _service(app, database_url, clock)  # a restart the same morning
    async with running(second, clock):
        await advance(second, clock, timedelta(hours=2))
    assert len(await pushes(app, "report")) == 1


async def test_a_run_missed_while_down_goes_once_when_the_scheduler_is_back(
    app, database_url, clock: ManualClock
) -> None:
    await link_chat(app, "s_lou_01", "chat-lou")
    clock.set(_local(25, 12, month=11))
    first = _service(app, database_url, clock)
    async with running(first, clock):
        await advance(first, clock, timedelta(minutes=1))
    clock.set(_local(3, 9))  # down from 25 November to 3 December, 09:00
    second = _service(app, database_url, clock)
    async with running(second, clock):
        await advance(second, clock, timedelta(minutes=1))
    [(row, _)] = await pushes(app, "report")
    assert row.dedup_key == "report-summary:2026-11:s_lou_01"
