"""Turns outbox rows into messages in the recipient's language and hands them to the
recipient's channel; runs the delivery loop beside the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from backend.clock import Clock
from backend.db import Database
from backend.delivery import DeliveryPolicy, Push, Undeliverable, deliver_due
from bot.channels.base import ChannelPlugin
from bot.i18n import Texts
from bot.messages import Option, OutgoingMessage

log = logging.getLogger(__name__)


def render_push(push: Push, texts: Texts) -> OutgoingMessage:
    t = texts.for_locale(push.locale)
    params = dict(push.payload.get("params", {}))
    if "category" in params:
        params["category"] = t(f"category.{params['category']}")
    options = tuple(
        Option(t(o["label_key"]), o["payload"]) for o in push.payload.get("options", [])
    )
    return OutgoingMessage(t(push.payload["key"], **params), options)


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, ChannelPlugin],
        texts: Texts,
        clock: Clock,
        *,
        poll_seconds: float = 1.0,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.db, self.channels, self.texts, self.clock = db, channels, texts, clock
        self.poll_seconds, self.policy = poll_seconds, policy or DeliveryPolicy()

    async def send(self, push: Push) -> None:
        channel = self.channels.get(push.channel)
        if channel is None:
            raise Undeliverable(f"channel {push.channel} is not switched on")
        await channel.send(push.recipient, render_push(push, self.texts))

    async def run_once(self) -> int:
        outcome = await deliver_due(self.db, self.send, self.clock, policy=self.policy)
        return sum(outcome.values())

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:  # the database may be away for a while: keep trying
                log.exception("outbox delivery round failed; retrying")
                busy = 0
            if not busy:
                await asyncio.sleep(self.poll_seconds)
