"""`jiefen serve`: one ASGI application for every channel, the health checks, and the outbox
worker running beside them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.db import ping
from bot.channels.base import ChannelPlugin
from bot.delivery import OutboxWorker
from jiefen.app import App

log = logging.getLogger(__name__)


def create_web_app(
    app: App, channels: Sequence[ChannelPlugin], *, run_worker: bool = True
) -> Starlette:
    by_name = {c.name: c for c in channels}
    failed: dict[str, str] = {}
    worker = OutboxWorker(app.db, by_name, app.dialogue.services.texts, app.store.clock)

    async def healthz(_: Request) -> JSONResponse:
        running = sorted(set(by_name) - set(failed))
        return JSONResponse({"status": "degraded" if failed else "ok", "channels": running,
                             "failed_channels": failed})

    async def readyz(_: Request) -> JSONResponse:
        try:
            await ping(app.db)
        except Exception as exc:
            log.warning("not ready: database unreachable (%s)", exc)
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for channel in channels:
            try:
                await channel.start()
            except Exception as exc:  # one platform being away must not stop the others
                log.exception("channel %s did not start; serving without it", channel.name)
                failed[channel.name] = f"{type(exc).__name__}: {exc}"[:200]
        task = asyncio.create_task(worker.run_forever()) if run_worker else None
        try:
            yield
        finally:
            if task is not None:
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
    return web
