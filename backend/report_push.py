"""The monthly summary pushed to supervisors on the first of the month (job
`monthly_report_summary`, scheduler/kinds_report.py): last month's figures in a few lines.

Each push has the dedup key `report-summary:<month>:<staff code>`, and keys already in the
outbox are skipped, so a job that runs twice (a retry, a second scheduler) never pushes twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Mediator, OutboxMessage
from backend.notify import notify_staff
from backend.report_data import MonthReport, month_of, month_report, shift_month
from backend.report_indicators import INDICATORS, Ratio

DEFAULT_ZONE = "Asia/Shanghai"
SUMMARY_KEY = "report.push.summary"


def percent(ratio: Ratio) -> str:
    """"83.3%" as in the report ("—" when there was nothing to count); the same in every
    language."""
    value = ratio.value
    return "—" if value is None else f"{value * 100:.1f}%"


def change(now: int, before: int) -> str:
    return f"{now - before:+d}" if now != before else "±0"


def summary_params(report: MonthReport) -> dict[str, Any]:
    params: dict[str, Any] = {
        "month": report.month,
        "cases": report.total,
        "previous": report.previous_total,
        "change": change(report.total, report.previous_total),
        "hotspots": len(report.hotspots),
        "risk_cases": len(report.risk_cases),
    }
    for key in INDICATORS:
        params[key] = percent(report.indicators.ratio(key))
    return params


def dedup_key(month: str, staff_code: str) -> str:
    return f"report-summary:{month}:{staff_code}"


async def send_monthly_summary(
    session: AsyncSession, *, at: datetime, zone: str = DEFAULT_ZONE
) -> int:
    """Pushes last month's summary (the month before `at` in the county's zone) to every
    active supervisor with a chat account; returns how many pushes were written."""
    county = ZoneInfo(zone)
    month = shift_month(month_of(at, county), -1)
    people = list(
        await session.scalars(
            select(Mediator)
            .where(Mediator.role == "supervisor", Mediator.active.is_(True))
            .order_by(Mediator.id)
        )
    )
    keys = {dedup_key(month, p.code) for p in people}
    sent = set(
        await session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(list(keys)))
        )
    )
    waiting = [p for p in people if dedup_key(month, p.code) not in sent]
    if not waiting:
        return 0
    params = summary_params(await month_report(session, month, zone=county, at=at))
    written = 0
    for person in waiting:
        written += await notify_staff(
            session,
            person,
            SUMMARY_KEY,
            params,
            purpose="report",
            at=at,
            dedup=dedup_key(month, person.code),
        )
    return written
