"""Which channels run: web chat always, Telegram and WeChat when their settings are present."""

from __future__ import annotations

import hashlib

from backend.crypto import load_or_create_key
from bot.channels.base import ChannelPlugin
from bot.channels.files import EvidenceStore
from jiefen.app import App
from jiefen.settings import Settings


def session_secret(settings: Settings) -> str:
    """Signs web-chat cookies: configured, or derived from the (secret) data key."""
    if settings.web_session_secret:
        return settings.web_session_secret
    key = load_or_create_key(settings.secret_key, settings.var_dir)
    return hashlib.sha256(b"jiefen-web-session:" + key.encode()).hexdigest()


def build_channels(settings: Settings, app: App) -> list[ChannelPlugin]:
    from bot.channels.webchat import WebChatChannel

    evidence = EvidenceStore(settings.evidence_dir)
    handle = app.dialogue.handle
    texts = app.dialogue.services.texts
    channels: list[ChannelPlugin] = [
        WebChatChannel(handle, secret_key=session_secret(settings), evidence=evidence, texts=texts)
    ]
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
                token_store=DatabaseTokenStore(app.db),
                evidence=evidence,
            )
        )
    return channels
