"""Runs beside the server: once messages wait in the spool, pings the database with back-off
until it answers, then has the dialogue handle each user's messages in order (their replies go
through the outbox). Messages spooled before a restart are replayed as soon as it starts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from backend.clock import Sleep
from backend.db import database_unreachable
from bot.engine import Dialogue
from bot.spool import Spool

log = logging.getLogger(__name__)


class SpoolReplayer:
    def __init__(
        self,
        dialogue: Dialogue,
        spool: Spool,
        ping: Callable[[], Awaitable[None]],
        sleep: Sleep,
        *,
        first_pause_seconds: float = 1.0,
        max_pause_seconds: float = 30.0,
    ) -> None:
        self.dialogue, self.spool, self.ping, self.sleep = dialogue, spool, ping, sleep
        self.first_pause, self.max_pause = first_pause_seconds, max_pause_seconds
        self.pings = 0  # attempts to reach the database, for tests and the curious

    async def run_forever(self) -> None:
        while True:
            await self.spool.wait_for_messages()
            try:
                await self.drain()
            except Exception:  # e.g. the disk under the spool: keep the server's replayer alive
                log.exception("spool: replaying failed; trying again later")
                await self.sleep(self.max_pause)

    async def drain(self) -> None:
        """Returns once the spool is empty."""
        removed_before, pause = self.spool.removed, self.first_pause
        while len(self.spool):
            if await self._database_answers() and await self._replay_everyone():
                pause = self.first_pause
                continue  # more may have arrived meanwhile
            await self.sleep(pause)
            pause = min(pause * 2, self.max_pause)
        log.warning(
            "spool drained: %d message(s) kept during the outage were handled",
            self.spool.removed - removed_before,
        )

    async def _database_answers(self) -> bool:
        self.pings += 1
        try:
            await self.ping()
        except Exception as exc:
            if not database_unreachable(exc):
                log.exception("spool: the database ping failed oddly; trying again later")
            return False
        return True

    async def _replay_everyone(self) -> bool:
        for channel, user_id in self.spool.users():
            if not await self.dialogue.replay(channel, user_id):
                return False
        return True
