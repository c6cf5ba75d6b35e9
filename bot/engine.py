"""The channel-neutral dialogue engine: one incoming message in, replies out.

Each message is handled under its user's lock and inside one backend unit of work; if
anything fails the unit rolls back, earlier answers stay as they were committed, and the
user gets a polite apology instead of an error.
"""

from __future__ import annotations

import logging

from bot.handlers import dispatch
from bot.locks import UserLocks
from bot.messages import IncomingMessage, OutgoingMessage, from_record, to_record
from bot.ports import CaseStorePort
from bot.turn import OPTIONS_KEY, DialogueServices, Turn, resolve_payload

log = logging.getLogger(__name__)


class Dialogue:
    def __init__(self, store: CaseStorePort, services: DialogueServices) -> None:
        self.store, self.services = store, services
        self._locks = UserLocks()

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        async with self._locks.hold(message.channel, message.user_id):
            locale = self.services.texts.for_locale("zh").locale
            try:
                async with self.store.dialogue_session(message.channel, message.user_id) as unit:
                    locale = unit.conversation.locale
                    if message.message_id:
                        earlier = await unit.claim_message(message.message_id)
                        if earlier is not None:  # a platform's retry: answer it the same way
                            return [from_record(r) for r in earlier]
                    turn = Turn(message, unit, self.services)
                    turn.payload = resolve_payload(message, unit.conversation.data.get(OPTIONS_KEY))
                    await dispatch(turn)
                    turn.finish()
                    if message.message_id:
                        unit.record_replies([to_record(r) for r in turn.replies])
                    return turn.replies
            except Exception:
                log.exception(
                    "handling a message on %s failed; nothing of it was stored", message.channel
                )
                t = self.services.texts.for_locale(locale)
                return [OutgoingMessage(t("error.generic"))]
