"""The `jiefen` command."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import getpass
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from jiefen.logs import configure_logging
from jiefen.process import run_event_loop
from jiefen.settings import Settings, load_settings

T = TypeVar("T")
SERVER_GC_THRESHOLDS = (20_000, 20, 10)


def _run(factory: Callable[[Settings], Awaitable[T]]) -> T:
    return asyncio.run(factory(load_settings()))


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class _Jiefen(click.Group):
    """A broken configuration file (organisations, routing rules) stops any command with the
    file's errors, each with its line, and exit status 1, instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from backend.yaml_check import ConfigFileError

        try:
            return super().invoke(ctx)
        except ConfigFileError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Jiefen)
@click.option("--log-level", default="WARNING", show_default=True)
def main(log_level: str) -> None:
    """解纷 jiefen: report civil disputes in chat and get them to people's mediation."""
    configure_logging(log_level.upper())


@main.group()
def db() -> None:
    """The case store."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from jiefen.app import open_store

    async def go(settings: Settings) -> None:
        database = await open_store(settings)
        await database.dispose()

    _run(go)
    click.echo("database is up to date")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION (e.g. 0006), before running an older release."""
    from backend.db import downgrade_database, open_database

    async def go(settings: Settings) -> None:
        url, key = settings.resolved_database_url, settings.secret_key
        database = open_database(url, secret_key=key, var_dir=settings.var_dir)
        try:
            await downgrade_database(database, revision)
        finally:
            await database.dispose()

    _run(go)
    click.echo(f"database is at revision {revision}")


@main.group()
def orgs() -> None:
    """The organisation network (committees, centres, tribunals, mediators)."""


@orgs.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def orgs_load(file: Path) -> None:
    """Load or update the network from FILE (idempotent)."""
    from backend.org_network import NetworkError, load_network
    from backend.org_sync import sync_network
    from jiefen.app import open_store

    try:
        network = load_network(file)
    except NetworkError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)

    async def go(settings: Settings) -> dict[str, int]:
        database = await open_store(settings)
        try:
            async with database.sessions() as session, session.begin():
                return await sync_network(session, network)
        finally:
            await database.dispose()

    counts = _run(go)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@main.command()
@click.option("--user", "user_id", default=None, help="console user id (default: your login)")
def chat(user_id: str | None) -> None:
    """Talk to the bot in the terminal; with piped input, one message per line."""
    from bot.channels.console import run_console
    from jiefen.app import build_app

    async def go(settings: Settings) -> None:
        configure_logging("INFO", settings.var_dir / "jiefen.log")
        app = await build_app(settings)
        try:
            await run_console(
                app.dialogue.handle,
                user_id or getpass.getuser(),
                sys.stdin,
                sys.stdout,
                interactive=sys.stdin.isatty(),
            )
        finally:
            await app.close()

    try:
        _run(go)
    except KeyboardInterrupt:
        click.echo()


@main.command()
@click.option(
    "--no-worker",
    is_flag=True,
    help="leave Telegram and WeChat pushes to `jiefen worker` (the web chat's page fetches "
    "its own pushes from any server)",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="server processes sharing the port, one per core (default: JIEFEN_HTTP_WORKERS, "
    "else 1); more than one needs PostgreSQL",
)
def serve(no_worker: bool, workers: int | None) -> None:
    """Run the server: web chat, Telegram and WeChat endpoints, health checks, outbox worker."""
    import uvicorn

    from jiefen.app import build_app
    from jiefen.channels import build_channels
    from jiefen.server import create_web_app
    from jiefen.workers import WorkerInfo, serve_workers

    settings = load_settings()
    count = workers or settings.http_workers
    if count > 1 and settings.is_sqlite:
        raise click.ClickException(
            f"{count} server processes (--workers, JIEFEN_HTTP_WORKERS) need PostgreSQL "
            "(JIEFEN_DATABASE_URL): SQLite takes one writing process at a time"
        )
    configure_logging("INFO")

    async def go(worker: WorkerInfo, sockets: list[socket.socket] | None) -> None:
        app = await build_app(settings, spooling=True, spool_dir=worker.spool_dir(settings))
        channels = build_channels(settings, app, lead=worker.lead)
        web = create_web_app(app, channels, run_worker=not no_worker)
        # What is loaded by now (NLU model, jieba's dictionary, code) lives as long as the
        # process: kept out of the garbage collector's full passes, which otherwise walk it
        # every time and stop the server for a tenth of a second. Each message allocates
        # thousands of short-lived objects (ORM rows, statements, XML), so the young
        # generation is collected every 20,000 allocations instead of 700: the collector then
        # costs the server a tenth of what it did (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SERVER_GC_THRESHOLDS)
        server = uvicorn.Server(
            uvicorn.Config(web, host=settings.http_host, port=settings.http_port, log_level="info")
        )
        await server.serve(sockets)

    def run(worker: WorkerInfo, sockets: list[socket.socket] | None) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            run_event_loop(go(worker, sockets))

    def prepare() -> None:
        from backend.yaml_check import ConfigFileError
        from jiefen.app import prepare_database

        try:
            run_event_loop(prepare_database(settings))
        except ConfigFileError as exc:
            click.ClickException(str(exc)).show()
            sys.exit(1)

    if count == 1:
        run(WorkerInfo(), None)  # this process serves: no supervisor, no fork
    else:
        sys.exit(serve_workers(settings, count, run, prepare=prepare))


@main.command()
def worker() -> None:
    """Deliver Telegram and WeChat pushes from the outbox (beside `serve --no-worker`)."""
    from jiefen.worker import main as run

    configure_logging("INFO")
    run(load_settings())


@main.command()
def scheduler() -> None:
    """Run the scheduler alone (reminders, follow-ups, sweeps); `serve` runs one too, and
    only one process leads at a time."""
    from jiefen.scheduler import main as run

    configure_logging("INFO")
    run(load_settings())


@main.group()
def cases() -> None:
    """Stored cases."""


@cases.command("list")
@click.option("--json", "as_json", is_flag=True)
def cases_list(as_json: bool) -> None:
    from backend.case_views import list_cases
    from jiefen.app import open_store

    async def go(settings: Settings) -> list[dict[str, Any]]:
        database = await open_store(settings)
        try:
            async with database.sessions() as session:
                return await list_cases(session)
        finally:
            await database.dispose()

    rows = _run(go)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['number']}  {row['status']:<12} {row['category']:<20} "
            f"{row['organization'] or '-'}"
        )


@cases.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.option("--reveal", is_flag=True, help="show personal data in full (recorded as an event)")
def cases_show(number: str, as_json: bool, reveal: bool) -> None:
    from backend.case_views import show_case
    from backend.clock import SystemClock
    from jiefen.app import open_store

    async def go(settings: Settings) -> dict[str, Any] | None:
        database = await open_store(settings)
        try:
            async with database.sessions() as session, session.begin():
                return await show_case(
                    session,
                    number,
                    reveal=reveal,
                    viewer=f"cli:{getpass.getuser()}",
                    clock=SystemClock(),
                )
        finally:
            await database.dispose()

    detail = _run(go)
    if detail is None:
        click.echo(f"no case {number}", err=True)
        sys.exit(1)
    if as_json:
        _print_json(detail)
    else:
        for key, value in detail.items():
            click.echo(f"{key}: {value}")


@main.group()
def callbacks() -> None:
    """Residents who asked a person to call them back."""


@callbacks.command("list")
@click.option("--org", "organization", default=None, help="organisation code, e.g. fengqiao.centre")
@click.option("--json", "as_json", is_flag=True)
def callbacks_list(organization: str | None, as_json: bool) -> None:
    from backend.case_views import list_callbacks
    from jiefen.app import open_store

    async def go(settings: Settings) -> list[dict[str, Any]]:
        database = await open_store(settings)
        try:
            async with database.sessions() as session:
                return await list_callbacks(session, organization=organization)
        finally:
            await database.dispose()

    rows = _run(go)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['created_at'][:16]}  {row['organization_name'] or '-'}  {row['phone']}  "
            f"{row['reason']}"
        )


def _register_subcommands() -> None:
    from jiefen.cli_nlu import nlu
    from jiefen.cli_report import report
    from jiefen.cli_route import route
    from jiefen.cli_staff import mediators

    main.add_command(nlu)
    main.add_command(report)
    main.add_command(route)
    main.add_command(mediators)


_register_subcommands()

if __name__ == "__main__":
    main()
