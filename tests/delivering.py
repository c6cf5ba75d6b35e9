"""Delivering the outbox in tests the way the server's worker does."""

from __future__ import annotations

from bot.delivery import OutboxWorker


def worker(app, channel) -> OutboxWorker:
    """The server's worker, delivering only this channel's pushes."""
    return OutboxWorker(
        app.db,
        {channel.name: channel},
        app.dialogue.services.texts,
        app.store.clock,
        claims=[channel.name],
    )


async def deliver(outbox: OutboxWorker) -> None:
    """Until nothing due is left."""
    while await outbox.run_once():
        pass
