"""`jiefen mediators ...`: staff accounts for the chat."""

from __future__ import annotations

import asyncio

import click

from jiefen.settings import Settings, load_settings


@click.group()
def mediators() -> None:
    """Staff who handle cases in the chat."""


@mediators.command("invite")
@click.argument("code")
@click.option("--days", default=7, show_default=True, help="how long the code stays valid")
def mediators_invite(code: str, days: int) -> None:
    """Print a one-time invite code for staff member CODE (e.g. m_chen_01).

    Hand it over in person; they send it to the bot ("注册 ABCD-EFGH" or /register ABCD-EFGH)
    and from then on their case pushes arrive in that chat.
    """
    from backend.clock import SystemClock
    from backend.invites import create_invite
    from backend.staff_records import Refused
    from jiefen.app import open_store

    async def go(settings: Settings) -> str:
        database = await open_store(settings)
        try:
            async with database.sessions() as session, session.begin():
                return await create_invite(session, code, at=SystemClock().now(), days=days)
        finally:
            await database.dispose()

    try:
        invite = asyncio.run(go(load_settings()))
    except Refused as refused:
        raise click.ClickException(f"no active staff member with code {code!r}") from refused
    click.echo(invite)
