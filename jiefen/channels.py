"""Which channels run: web chat always, Telegram and WeChat when their settings are present."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from backend.crypto import load_or_create_key
from backend.db import Database
from bot.channels.base import ChannelPlugin, Handler, SendLater, log_lost_replies
from bot.channels.files import EvidenceStore
from bot.delivery import PushFetcher
from bot.i18n import Texts
from bot.messages import IncomingMessage, OutgoingMessage
from jiefen.app import App
from jiefen.settings import Settings

if TYPE_CHECKING:
    from bot.channels.webchat import WebChatChannel

WEB_CHAT = "webchat"  # its page fetches its pushes from the outbox (bot.delivery.PushFetcher)


def session_secret(settings: Settings) -> str:
    """Signs web-chat cookies: configured, or derived from the (secret) data key."""
    if settings.web_session_secret:
        return settings.web_session_secret
    key = load_or_create_key(settings.secret_key, settings.var_dir)
    return hashlib.sha256(b"jiefen-web-session:" + key.encode()).hexdigest()


def build_channels(settings: Settings, app: App, *, lead: bool = True) -> list[ChannelPlugin]:
    """`lead`: this process takes Telegram's updates in (see _platforms); with several server
    processes (jiefen.workers) only worker 0 does."""
    evidence = EvidenceStore(settings.evidence_dir)
    handle = app.dialogue.handle
    texts = app.dialogue.services.texts
    channels: list[ChannelPlugin] = [web_chat(app, session_secret(settings), evidence)]
    return channels + _platforms(
        settings, handle, app.db, evidence, texts, send_later=app.dialogue.send_later, lead=lead
    )


def web_chat(
    app: App, secret_key: str, evidence: EvidenceStore, **options: Any
) -> WebChatChannel:
    """The web chat on the app's dialogue, its pushes fetched from the app's outbox."""
    from bot.channels.webchat import WebChatChannel

    texts = app.dialogue.services.texts
    return WebChatChannel(
        app.dialogue.handle,
        fetch_pushes=PushFetcher(app.db, texts, app.store.clock, WEB_CHAT),
        secret_key=secret_key,
        evidence=evidence,
        texts=texts,
        **options,
    )


def sending_channels(settings: Settings, db: Database) -> list[ChannelPlugin]:
    """The platforms a `jiefen worker` delivers pushes to (not the web chat: its page fetches
    its pushes itself). They take no messages in."""

    async def no_dialogue(message: IncomingMessage) -> list[OutgoingMessage]:
        raise RuntimeError(f"this process only delivers pushes; got a {message.channel} message")

    texts = Texts(settings.locales_dir, settings.timezone)
    return _platforms(settings, no_dialogue, db, EvidenceStore(settings.evidence_dir), texts)


def _platforms(
    settings: Settings,
    handle: Handler,
    db: Database,
    evidence: EvidenceStore,
    texts: Texts,
    *,
    send_later: SendLater = log_lost_replies,
    lead: bool = True,
) -> list[ChannelPlugin]:
    """`lead` False: Telegram is only sent to (and its webhook endpoint served), never polled
    nor its webhook set: one process of a server does that, as two getUpdates conflict."""
    channels: list[ChannelPlugin] = []
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(
            TelegramChannel(
                handle,
                token=settings.telegram_token,
                api_base=settings.telegram_api_base,
                webhook_url=settings.telegram_webhook_url,
                secret=settings.telegram_secret,
                evidence=evidence,
                texts=texts,
                send_later=send_later,
                lead=lead,
            )
        )
    if settings.wechat_token:
        from backend.platform_tokens import DatabaseTokenStore
        from bot.channels.wechat import WeChatChannel

        channels.append(
            WeChatChannel(
                handle,
                token=settings.wechat_token,
                app_id=settings.wechat_app_id,
                app_secret=settings.wechat_app_secret,
                aes_key=settings.wechat_aes_key,
                api_base=settings.wechat_api_base,
                token_store=DatabaseTokenStore(db),
                evidence=evidence,
                template_id=settings.wechat_template_id,
                texts=texts,
                locale=settings.default_locale,
                send_later=send_later,
            )
        )
    return channels
