"""Turns outbox rows into messages in the recipient's language and hands them to the
recipient's channel; runs the delivery loop beside the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from datetime import datetime

from backend.clock import Clock, Sleep
from backend.conversations import remember_shown_options
from backend.db import Database, database_unreachable
from backend.delivery import DeliveryPolicy, Push, Undeliverable, deliver_due, take_pushes
from bot.channels.base import ChannelPlugin
from bot.i18n import Texts
from bot.messages import Option, OutgoingMessage, from_record
from bot.turn import OPTIONS_KEY

log = logging.getLogger(__name__)


def render_push(push: Push, texts: Texts) -> OutgoingMessage:
    if "reply" in push.payload:  # the dialogue's reply to a message handled after an outage
        return from_record(push.payload["reply"])
    t = texts.for_locale(push.locale)
    params = dict(push.payload.get("params", {}))
    if "category" in params:
        params["category"] = t(f"category.{params['category']}")
    for name in push.payload.get("translate", []):  # params that are catalogue keys
        params[name] = t(params[name])
    for name in push.payload.get("times", []):  # ISO times, shown in the county's zone
        params[name] = t.when(datetime.fromisoformat(params[name]))
    options = tuple(
        Option(t(o["label_key"]), o["payload"]) for o in push.payload.get("options", [])
    )
    return OutgoingMessage(t(push.payload["key"], **params), options)


class PushFetcher:
    """The pushes of a channel whose client fetches them (the web chat's page polls), in the
    recipient's language: taken from the outbox when asked, so whichever server process the
    page reaches answers, and a push waits in the database until then."""

    def __init__(self, db: Database, texts: Texts, clock: Clock, channel: str) -> None:
        self.db, self.texts, self.clock, self.channel = db, texts, clock, channel

    async def __call__(self, recipient: str) -> list[OutgoingMessage]:
        pushes = await take_pushes(
            self.db, self.clock, channel=self.channel, recipient=recipient
        )
        return [render_push(p, self.texts) for p in pushes]


class OutboxWorker:
    """Delivers due pushes in rounds. `claims` limits it to some channels; by default it
    claims every push but those its channels' clients fetch themselves (`pull_pushes`),
    and one for a channel it lacks fails as undeliverable."""

    def __init__(
        self,
        db: Database,
        channels: Mapping[str, ChannelPlugin],
        texts: Texts,
        clock: Clock,
        *,
        poll_seconds: float = 1.0,
        policy: DeliveryPolicy | None = None,
        claims: Collection[str] | None = None,
        sleep: Sleep = asyncio.sleep,
        max_pause_seconds: float = 30.0,
    ) -> None:
        self.db, self.channels, self.texts, self.clock = db, channels, texts, clock
        self.poll_seconds, self.policy = poll_seconds, policy or DeliveryPolicy()
        self.claims, self.sleep, self.max_pause_seconds = claims, sleep, max_pause_seconds
        self.skips = sorted(name for name, c in channels.items() if c.pull_pushes)
        self.database_away = False

    async def send(self, push: Push) -> None:
        channel = self.channels.get(push.channel)
        if channel is None:
            raise Undeliverable(f"channel {push.channel} is not switched on")
        message = render_push(push, self.texts)
        await channel.send(push.recipient, message)
        if message.options and channel.numbered_options:
            await self._remember_options(push, message)

    async def _remember_options(self, push: Push, message: OutgoingMessage) -> None:
        """A typed number then answers this push, as it would the dialogue's last reply
        (bot/turn.py). Channels with buttons send the payload itself and skip this. The push
        went out: a failure here is logged, never a reason to send it again."""
        try:
            await remember_shown_options(
                self.db,
                push.channel,
                push.recipient,
                OPTIONS_KEY,
                [(o.label, o.payload) for o in message.options],
                at=self.clock.now(),
                locale=push.locale,
            )
        except Exception:
            log.warning(
                "push %s delivered, but its options were not remembered for %s",
                push.id,
                push.channel,
                exc_info=True,
            )

    async def run_once(self) -> int:
        outcome = await deliver_due(
            self.db,
            self.send,
            self.clock,
            policy=self.policy,
            channels=self.claims,
            skip_channels=self.skips,
        )
        return sum(outcome.values())

    async def run_forever(self) -> None:
        """Rounds until cancelled. While the database is away it waits longer and longer
        (up to max_pause_seconds) and says so once; what was due goes out when it is back."""
        pause = self.poll_seconds
        while True:
            try:
                busy = await self.run_once()
            except Exception as exc:
                busy = 0
                if database_unreachable(exc):
                    if not self.database_away:
                        log.warning("outbox: database unreachable (%s); deliveries wait", exc)
                    self.database_away = True
                    pause = min(max(pause, self.poll_seconds) * 2, self.max_pause_seconds)
                else:
                    log.exception("outbox delivery round failed; retrying")
                    pause = self.poll_seconds
            else:
                if self.database_away:
                    log.warning("outbox: database reachable again; delivering what waited")
                self.database_away = False
                pause = self.poll_seconds
            if not busy:
                await self.sleep(pause)
