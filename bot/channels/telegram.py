"""Telegram channel: Bot API updates in, dialogue replies out as messages with inline keyboards.

Thin on purpose: it maps updates to IncomingMessage, stores evidence files through the
EvidenceStore and renders replies; the dialogue decides everything else. Webhook mode when a
webhook URL is set (Telegram POSTs to /telegram with our secret), long polling otherwise.
A platform retry is safe: every update carries its update_id as the dialogue's dedup key.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
)
from telegram.ext import AIORateLimiter, Application, TypeHandler

from backend.delivery import RetryLater, Undeliverable
from bot.channels.base import Handler, SendLater, log_lost_replies
from bot.channels.files import MAX_BYTES, EvidenceStore, UnsupportedFile
from bot.channels.ratelimit import RateLimiter
from bot.channels.telegram_render import commands, locale_of, render
from bot.i18n import Texts
from bot.messages import Attachment, IncomingMessage, OutgoingMessage

log = logging.getLogger(__name__)
# PTB 22 warns on every RetryAfter (a 429) that its retry_after will become a timedelta, even
# when PTB itself creates the exception; this opts in to the coming type now (PTB's own switch).
os.environ.setdefault("PTB_TIMEDELTA", "true")

DEFAULT_LOCALES = Path(__file__).resolve().parents[2] / "config" / "locales"
MAX_BODY = 1024 * 1024  # a real update is a few KB; anything this big is not from Telegram
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
REPLY_RETRIES = 2  # a reply waits out Telegram's 429s; outbox pushes are rescheduled instead
REPLY_ATTEMPTS = 3  # a reply part is sent again after a network error (timeout, 5xx) this often
REPLY_PAUSE = 1.0  # seconds before the second attempt, twice that before the third


def file_base_url(api_base: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot (same for a proxy)."""
    head, sep, tail = api_base.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else api_base.rstrip("/") + "/file/bot"


def _transient(exc: BaseException) -> bool:
    """Worth Telegram delivering the update again (the dialogue answers a repeat the same way)."""
    if isinstance(exc, RetryAfter):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def _seconds(exc: RetryAfter) -> float:
    after: Any = exc.retry_after  # a timedelta (PTB_TIMEDELTA); a number in older PTBs
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


class TelegramChannel:
    name = "telegram"
    numbered_options = False
    pull_pushes = False
    poll_timeout = timedelta(seconds=10)  # how long one getUpdates long poll may wait

    def __init__(
        self,
        handle: Handler,
        *,
        token: str,
        api_base: str,
        webhook_url: str,
        secret: str,
        evidence: EvidenceStore,
        texts: Texts | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        send_later: SendLater = log_lost_replies,
        lead: bool = True,
    ) -> None:
        """`lead` False: start() neither long-polls nor sets the webhook or the command menu,
        it only gets ready to send; the webhook endpoint still takes updates. For the server
        processes besides the first (jiefen.workers): Telegram answers a second getUpdates
        with 409, and the webhook and the menu are set once."""
        if webhook_url and not secret:
            raise ValueError("a Telegram webhook needs a secret (JIEFEN_TELEGRAM_SECRET)")
        self.handle, self.evidence, self.send_later = handle, evidence, send_later
        self.webhook_url, self.secret, self.lead = webhook_url, secret, lead
        self.texts = texts or Texts(DEFAULT_LOCALES)
        self.limiter, self.sleep = limiter or RateLimiter(), sleep
        pacer = AIORateLimiter(
            overall_max_rate=25,  # Telegram allows about 30 messages a second in all
            overall_time_period=1,
            group_max_rate=20,  # and 20 a minute per group chat
            group_time_period=60,
            max_retries=0,  # per call: REPLY_RETRIES for replies, none for outbox pushes
        )
        builder = (
            Application.builder()
            .token(token)
            .base_url(api_base)
            .base_file_url(file_base_url(api_base))
            .rate_limiter(pacer)
        )
        if webhook_url or not lead:
            builder = builder.updater(None)
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_polled_update))
        self.application.add_error_handler(self._on_polling_error)

    def routes(self) -> list[BaseRoute]:
        return [Route("/telegram", self._webhook, methods=["POST"])] if self.webhook_url else []

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        if not self.lead:
            log.info("telegram: sending only; the first server process takes the updates in")
            return
        await self._register_commands()
        if self.webhook_url:
            await app.bot.set_webhook(
                self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("telegram: webhook set to %s", self.webhook_url)
            return
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES)
        log.info("telegram: long polling started")

    async def start_sending(self) -> None:
        await self.application.initialize()

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """An outbox push. A 429 becomes RetryLater so the outbox, not this call, waits."""
        try:
            chat_id = int(recipient)
        except ValueError as exc:
            raise Undeliverable(f"not a Telegram chat id: {recipient!r}") from exc
        try:
            await self._send(chat_id, message, retries=None)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc), str(exc)) from exc
        except (Forbidden, BadRequest, ChatMigrated) as exc:  # blocked, unknown chat, invalid
            raise Undeliverable(str(exc)) from exc

    async def _register_commands(self) -> None:
        """The command menu in Chinese for everyone, in English for English-language apps."""
        bot = self.application.bot
        await bot.set_my_commands(commands(self.texts, "zh"))
        await bot.set_my_commands(commands(self.texts, "en"), language_code="en")

    async def _webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return Response("forbidden", status_code=403)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return Response("too large", status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response("too large", status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("telegram: malformed webhook body (%s)", exc)
            return Response("malformed update", status_code=400)
        try:
            await self._on_update(update)
        except Exception as exc:
            log.exception("telegram: update %s failed", update.update_id)
            if _transient(exc):  # Telegram delivers it again later
                return Response("try again", status_code=503)
        return Response(status_code=200)

    async def _on_polled_update(self, update: object, _context: object) -> None:
        if isinstance(update, Update):
            await self._on_update(update)

    async def _on_polling_error(self, update: object, context: Any) -> None:
        """The update is already confirmed to Telegram: log it, the next one goes on."""
        update_id = getattr(update, "update_id", None)
        log.error("telegram: update %s failed", update_id, exc_info=context.error)

    async def _on_update(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._answer(update.callback_query)  # every tap, even one we then ignore
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != ChatType.PRIVATE:
            return  # reports are private: the bot does not take them in groups
        t = self.texts.for_locale(locale_of(user.language_code if user else None))
        if not self.limiter.allow(str(chat.id)):  # a flood: told so, not handled
            seconds = max(1, self.limiter.retry_after(str(chat.id)))
            await self._send(chat.id, OutgoingMessage(t("telegram.slow_down", seconds=seconds)))
            return
        message_id = f"tg:{update.update_id}"
        if update.callback_query is not None:
            incoming = IncomingMessage(
                self.name, str(chat.id), payload=update.callback_query.data, message_id=message_id
            )
        elif update.message is not None:
            try:
                attachments = await self._attachments(update.message)
            except UnsupportedFile as exc:
                await self._send(chat.id, OutgoingMessage(t(f"telegram.file.{exc.reason}")))
                return
            text = update.message.text or update.message.caption or ""
            incoming = IncomingMessage(
                self.name, str(chat.id), text, attachments=attachments, message_id=message_id
            )
        else:
            return
        await self._reply(chat.id, await self.handle(incoming))

    async def _reply(self, chat_id: int, replies: list[OutgoingMessage]) -> None:
        """The replies in order. Once the update is handled Telegram will not send it again,
        so what it still refuses after the retries goes to the outbox instead of being lost
        (a part already shown may then be shown twice)."""
        for index, reply in enumerate(replies):
            try:
                await self._send(chat_id, reply)
            except Exception as exc:
                if not _transient(exc):
                    raise
                log.warning("telegram: replies to %s handed to the outbox (%s)", chat_id, exc)
                await self.send_later(self.name, str(chat_id), replies[index:])
                return

    async def _answer(self, query: CallbackQuery) -> None:
        """Stops the button's spinner; a repeat of an old query may be refused, which is fine."""
        try:
            await query.answer()
        except BadRequest as exc:
            log.info("telegram: callback query %s not answered (%s)", query.id, exc)

    async def _attachments(self, message: Message) -> tuple[Attachment, ...]:
        if message.photo:
            media: Any = message.photo[-1]  # the largest size Telegram made
            name = None
        elif message.document is not None:
            media, name = message.document, message.document.file_name
        elif message.voice is not None:
            media, name = message.voice, None
        else:
            return ()
        if media.file_size and media.file_size > MAX_BYTES:
            raise UnsupportedFile("too_big")
        file = await media.get_file()
        data = bytes(await file.download_as_bytearray())
        # Re-encoding a photo is CPU work: keep it off the event loop.
        return (await asyncio.to_thread(self.evidence.store, data, name=name),)

    async def _send(
        self, chat_id: int, message: OutgoingMessage, *, retries: int | None = REPLY_RETRIES
    ) -> None:
        """A reply (retries set): each part waits out 429s in PTB's rate limiter and is tried
        again after a network error, as the update is already taken. An outbox push (retries
        None): the first error goes back to the outbox, which reschedules the push."""
        for part in render(message):
            for attempt in range(1, REPLY_ATTEMPTS + 1):
                try:
                    await self.application.bot.send_message(
                        chat_id, part.text, reply_markup=part.keyboard, rate_limit_args=retries
                    )
                    break
                except NetworkError as exc:
                    if retries is None or isinstance(exc, BadRequest) or attempt == REPLY_ATTEMPTS:
                        raise
                    log.warning("telegram: reply to %s failed (%s); trying again", chat_id, exc)
                    await self.sleep(REPLY_PAUSE * attempt)
