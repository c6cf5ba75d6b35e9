"""Timed job kinds of the report feature: the monthly summary pushed to supervisors.

It runs on the 1st of each month at 08:00 in the county's zone (JIEFEN_TIMEZONE, which the
scheduler hands over, so this module reads no settings of its own). After downtime the missed
runs are coalesced into one, and a run up to three days late still goes (a summary on the 3rd
is still useful; by then the full report has been made by hand). The handler skips
supervisors already pushed this month's summary, so a repeated run is harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.report_push import send_monthly_summary
from scheduler.kinds import JobKind, RecurringJob

KINDS: list[JobKind] = []


def recurring(zone: str) -> list[RecurringJob]:
    """The report's recurring jobs for a county in time zone `zone` (the scheduler's)."""

    async def monthly_report_summary(session: AsyncSession, *, at: datetime) -> None:
        await send_monthly_summary(session, at=at, zone=zone)

    return [
        RecurringJob(
            name="monthly_report_summary",
            handler=monthly_report_summary,
            trigger="cron",
            trigger_args={"day": 1, "hour": 8, "minute": 0, "timezone": zone},
            misfire_grace=timedelta(days=3),
            coalesce=True,
        )
    ]
