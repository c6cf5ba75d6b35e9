"""What every channel adapter is: a thin plug-in between one platform and the dialogue.

An adapter turns platform updates into IncomingMessage, hands them to the dialogue, and
renders the replies the platform's way; it also delivers outbox pushes. It holds no
dialogue logic. The server mounts its routes and runs its background work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from starlette.routing import BaseRoute

from bot.messages import IncomingMessage, OutgoingMessage

log = logging.getLogger(__name__)

Handler = Callable[[IncomingMessage], Awaitable[list[OutgoingMessage]]]
# (channel, recipient, replies): replies the platform would not take even after the adapter's
# own retries, handed to the outbox, whose worker keeps trying (bot.engine.Dialogue.send_later).
SendLater = Callable[[str, str, list[OutgoingMessage]], Awaitable[None]]


async def log_lost_replies(channel: str, recipient: str, replies: list[OutgoingMessage]) -> None:
    """For an adapter given no outbox (a process that takes no messages in, or a test)."""
    log.error("%d replies to a %s user could not be sent and are lost", len(replies), channel)


class ChannelPlugin(Protocol):
    name: str
    # Options shown as numbered lines (no buttons): the user answers a push by typing its
    # number, so the outbox worker remembers a delivered push's options (bot/delivery.py).
    numbered_options: bool
    # The user's client fetches its pushes from the outbox (the web chat's page polls), so
    # the outbox worker leaves them alone and any server process can hand them over.
    pull_pushes: bool

    def routes(self) -> list[BaseRoute]:
        """HTTP endpoints the platform calls (webhooks) or the resident opens (web chat)."""
        ...

    async def start(self) -> None:
        """Background work such as long polling; returns once it is running."""
        ...

    async def start_sending(self) -> None:
        """Only what `send` needs (no polling, no webhook): for a process that just delivers
        pushes (`jiefen worker`); `stop` undoes it."""
        ...

    async def stop(self) -> None: ...

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """Delivers a push; raises backend.delivery.RetryLater or Undeliverable."""
        ...
