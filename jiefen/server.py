"""`jiefen serve`: one ASGI application for every channel, the health checks, the outbox
worker, the spool replayer and the scheduler (timed jobs; one process leads) beside them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.db import ping
from bot.channels.base import ChannelPlugin
from bot.delivery import OutboxWorker
from bot.replay import SpoolReplayer
from jiefen.app import App
from jiefen.workers import current_worker
from scheduler.service import SchedulerService

log = logging.getLogger(__name__)
PING_TIMEOUT = 5.0  # seconds; a database host gone silent must not hang /readyz


def create_web_app(
    app: App,
    channels: Sequence[ChannelPlugin],
    *,
    run_worker: bool = True,
    run_scheduler: bool = True,
) -> Starlette:
    """`run_worker`: this process delivers the outbox (off beside a `jiefen worker`)."""
    by_name = {c.name: c for c in channels}
    failed: dict[str, str] = {}
    worker = OutboxWorker(
        app.db,
        by_name,
        app.dialogue.services.texts,
        app.store.clock,
        poll_seconds=app.settings.outbox_poll_seconds,
        sleep=app.sleep,
    )
    replayer = (
        SpoolReplayer(app.dialogue, app.spool, lambda: ping_soon(app), app.sleep)
        if app.spool is not None
        else None
    )

    scheduler = SchedulerService(
        app.db,
        app.settings.resolved_database_url,
        app.store.clock,
        app.sleep,
        timezone=app.settings.timezone,
    )

    def spool_counts() -> dict[str, int]:
        spool = app.spool
        return {
            "spooled": len(spool) if spool else 0,
            "spool_aside": spool.aside_count() if spool else 0,
        }

    async def healthz(_: Request) -> JSONResponse:
        running = sorted(set(by_name) - set(failed))
        return JSONResponse(
            {
                "status": "degraded" if failed else "ok",
                "channels": running,
                "failed_channels": failed,
                "scheduler": scheduler.role if run_scheduler else "off",
                **spool_counts(),
                "worker": current_worker().describe(),  # which process of the server answered
            }
        )

    async def readyz(_: Request) -> JSONResponse:
        try:
            await ping_soon(app)
        except Exception as exc:
            log.warning("not ready: database unreachable (%s)", exc)
            body = {"status": "database unreachable", **spool_counts()}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", **spool_counts()})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for channel in channels:
            try:
                await channel.start()
            except Exception as exc:  # one platform being away must not stop the others
                log.exception("channel %s did not start; serving without it", channel.name)
                failed[channel.name] = f"{type(exc).__name__}: {exc}"[:200]
        tasks: list[asyncio.Task[Any]] = []
        if run_worker:
            tasks.append(asyncio.create_task(worker.run_forever()))
        if replayer is not None:  # also replays what was spooled before a restart
            tasks.append(asyncio.create_task(replayer.run_forever()))
        if run_scheduler:
            tasks.append(asyncio.create_task(scheduler.run_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for channel in channels:
                if channel.name not in failed:
                    await channel.stop()
            await app.close()

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    for channel in channels:
        routes.extend(channel.routes())
    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.worker = worker
    web.state.replayer = replayer
    web.state.scheduler = scheduler
    return web


async def ping_soon(app: App) -> None:
    """The database answers within PING_TIMEOUT, or this raises."""
    await asyncio.wait_for(ping(app.db), PING_TIMEOUT)
