"""`jiefen report`: the monthly analysis and early-warning report (docs/report.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from backend.report_data import MonthReport, month_of, month_report, parse_month, shift_month
from bot.i18n import Texts
from jiefen.settings import Settings, load_settings


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command("report")
@click.option(
    "--month",
    callback=_month,
    help="YYYY-MM, a calendar month in the county's zone (default: last month)",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder for report.md, report.html, the charts and the ledger (created if needed)",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    hidden=True,
    help="count as if it were this time (county time) instead of now; for tests",
)
def report(month: str | None, out_dir: Path, lang: str, as_of: datetime | None) -> None:
    """Write the monthly report of MONTH: cases by category and town, hotspots, risk cases,
    the indicators, charts and the case ledger (no personal data)."""
    from jiefen.app import open_store
    from jiefen.report import write_report

    settings = load_settings()
    zone = ZoneInfo(settings.timezone)
    now = as_of.replace(tzinfo=zone).astimezone(UTC) if as_of else datetime.now(UTC)
    chosen = month or shift_month(month_of(now, zone), -1)

    async def go(settings: Settings) -> MonthReport:
        database = await open_store(settings)
        try:
            async with database.sessions() as session:
                return await month_report(session, chosen, zone=zone, at=now)
        finally:
            await database.dispose()

    data = asyncio.run(go(settings))
    texts = Texts(settings.locales_dir, settings.timezone)
    for path in write_report(data, out_dir, texts, locale=lang):
        click.echo(path)
