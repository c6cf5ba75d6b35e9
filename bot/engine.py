"""The channel-neutral dialogue engine: one incoming message in, replies out.

Each message is handled under its user's lock and inside one backend unit of work; if
anything fails the unit rolls back, earlier answers stay as they were committed, and the
user gets a polite apology instead of an error.

When the failure is that the database cannot be reached and a spool is configured, the
message is kept on local disk instead and the resident is told it was received; it is handled
later, in order, by `replay` (the server's replayer) or before this user's next message, and
its replies are sent through the outbox. See docs/resilience.md.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from backend.db import database_unreachable
from bot.handlers import dispatch
from bot.i18n import LOCALES
from bot.locks import UserLocks
from bot.messages import IncomingMessage, OutgoingMessage, from_record, to_record
from bot.ports import CaseStorePort
from bot.spool import Spool, Spooled
from bot.turn import OPTIONS_KEY, DialogueServices, Turn, resolve_payload

log = logging.getLogger(__name__)


class _Failed(Exception):
    """Handling failed and rolled back; the cause is chained, `locale` is for the apology."""

    def __init__(self, locale: str) -> None:
        super().__init__(f"handling failed (locale {locale})")
        self.locale = locale


class Dialogue:
    def __init__(
        self, store: CaseStorePort, services: DialogueServices, spool: Spool | None = None
    ) -> None:
        self.store, self.services, self.spool = store, services, spool
        self._locks = UserLocks()

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        async with self._locks.hold(message.channel, message.user_id):
            earlier: list[OutgoingMessage] = []
            # This user's messages kept during an outage go first, and their replies with them.
            if self.spool is not None and self.spool.holds(message.channel, message.user_id):
                kept = {e.message.message_id for e in self.spool.entries_for(*_user(message))}
                if not await self._drain(message.channel, message.user_id, earlier):
                    return earlier + await self._keep(message)
                if message.message_id and message.message_id in kept:
                    return earlier  # the platform sent a kept message again: answered above
            try:
                return earlier + await self._unit(message)
            except _Failed as failed:
                if self.spool is not None and database_unreachable(failed):
                    return earlier + await self._keep(message)
                log.exception(
                    "handling a message on %s failed; nothing of it was stored", message.channel
                )
                return [*earlier, self._apology(failed.locale)]

    async def replay(self, channel: str, user_id: str) -> bool:
        """Handles this user's spooled messages in order, their replies into the outbox;
        False when the database is still away (what is left stays spooled)."""
        async with self._locks.hold(channel, user_id):
            return await self._drain(channel, user_id, None)

    async def _unit(
        self, message: IncomingMessage, *, late: bool = False, push: bool = False
    ) -> list[OutgoingMessage]:
        """One message in one unit of work; raises _Failed after rolling back. `late`: the
        message comes from the spool, so a repeat of it needs no second answer; `push`: the
        replies go out through the outbox, committed with everything else."""
        locale = LOCALES[0]
        try:
            async with self.store.dialogue_session(message.channel, message.user_id) as unit:
                locale = unit.conversation.locale
                if message.message_id:
                    earlier = await unit.claim_message(message.message_id)
                    if earlier is not None:  # a platform's retry: answer it the same way
                        return [] if late else [from_record(r) for r in earlier]
                turn = Turn(message, unit, self.services)
                turn.payload = resolve_payload(message, unit.conversation.data.get(OPTIONS_KEY))
                await dispatch(turn)
                turn.finish()
                records = [to_record(r) for r in turn.replies]
                if message.message_id:
                    await unit.record_replies(records)
                if push:
                    unit.push_replies(records)
                return turn.replies
        except Exception as exc:
            raise _Failed(locale) from exc

    async def _drain(
        self, channel: str, user_id: str, collect: list[OutgoingMessage] | None
    ) -> bool:
        """The user's spooled messages, oldest first, each removed once its unit committed.
        Replies are added to `collect`, or pushed through the outbox when it is None."""
        assert self.spool is not None
        for entry in self.spool.entries_for(channel, user_id):
            try:
                replies = await self._unit(_with_key(entry), late=True, push=collect is None)
            except _Failed as failed:
                if database_unreachable(failed):
                    return False
                await self._set_aside(entry, failed, collect)
                continue
            self.spool.remove(entry)
            if collect is not None:
                collect.extend(replies)
        return True

    async def _set_aside(
        self, entry: Spooled, failed: _Failed, collect: list[OutgoingMessage] | None
    ) -> None:
        """A spooled message that fails for another reason than the database: kept for an
        operator (spool/aside/), and the resident gets the apology a live message would."""
        assert self.spool is not None
        where = self.spool.set_aside(entry)
        log.error(
            "a spooled message on %s failed; kept in %s",
            entry.message.channel,
            where,
            exc_info=failed,
        )
        apology = self._apology(failed.locale)
        if collect is not None:
            collect.append(apology)
            return
        await self.send_later(*entry.user, [apology])

    async def send_later(self, channel: str, user_id: str, replies: list[OutgoingMessage]) -> None:
        """Replies a channel could not deliver even after its own retries (the platform stayed
        busy or away, and will not send the message again): into the outbox, whose worker
        keeps trying with backoff, so the resident still gets them."""
        try:
            async with self.store.dialogue_session(channel, user_id) as unit:
                unit.push_replies([to_record(r) for r in replies])
        except Exception:
            log.exception(
                "%d replies to a %s user could neither be sent nor queued: they are lost",
                len(replies),
                channel,
            )

    async def _keep(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Spools a message the database could not take, and says it was received."""
        assert self.spool is not None
        first = len(self.spool) == 0
        try:
            await self.spool.keep(message, self.services.clock.now())
        except OSError:
            log.exception(
                "database unreachable AND the spool refused a message on %s: the message is "
                "lost; the resident was asked to send it again",
                message.channel,
            )
            return [self._apology(LOCALES[0])]
        if first:
            log.warning(
                "database unreachable: spooling incoming messages in %s until it answers",
                self.spool.folder,
            )
        t = self.services.texts.for_locale(LOCALES[0])  # the resident's language is in the database
        return [OutgoingMessage(t("spool.received"))]

    def _apology(self, locale: str) -> OutgoingMessage:
        t = self.services.texts.for_locale(locale)
        return OutgoingMessage(t("error.generic"))


def _user(message: IncomingMessage) -> tuple[str, str]:
    return message.channel, message.user_id


def _with_key(entry: Spooled) -> IncomingMessage:
    """A spooled message without a platform id gets the spool's, so a replay that committed
    but was not yet removed (a crash in between) is recognised instead of handled twice."""
    if entry.message.message_id:
        return entry.message
    return replace(entry.message, message_id=f"spool:{entry.id}")
