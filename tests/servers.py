"""Runs an ASGI app (ours, or a fake of a platform's API) on a real loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(asgi_app: Any, *, lifespan: str = "on") -> AsyncIterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT) while the app serves on loopback."""
    port = free_port()
    config = uvicorn.Config(
        asgi_app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning", loop="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
