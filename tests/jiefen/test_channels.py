"""Which channels `jiefen serve` runs comes from the documented JIEFEN_* names alone; a channel
whose settings are absent is off, and /healthz says which are on."""

from __future__ import annotations

import base64
import os

import httpx
import pytest

from bot.channels.telegram import TelegramChannel
from bot.channels.wechat import WeChatChannel
from jiefen.channels import build_channels, sending_channels
from jiefen.server import create_web_app
from jiefen.settings import Settings

AES_KEY = base64.b64encode(b"k" * 32).decode().rstrip("=")
PLATFORMS = {
    "JIEFEN_TELEGRAM_TOKEN": "123456:test-token",
    "JIEFEN_TELEGRAM_API_BASE": "http://127.0.0.1:9/tg/bot",
    "JIEFEN_TELEGRAM_WEBHOOK_URL": "https://jiefen.example/telegram",
    "JIEFEN_TELEGRAM_SECRET": "hook-secret",
    "JIEFEN_WECHAT_TOKEN": "wx-token",
    "JIEFEN_WECHAT_APP_ID": "wx-app",
    "JIEFEN_WECHAT_APP_SECRET": "wx-secret",
    "JIEFEN_WECHAT_AES_KEY": AES_KEY,
    "JIEFEN_WECHAT_API_BASE": "http://127.0.0.1:9/wx",
    "JIEFEN_WECHAT_TEMPLATE_ID": "TPL-progress",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    """Only what a test sets: none of the caller's JIEFEN_* settings, no .env file."""
    for name in list(os.environ):
        if name.startswith("JIEFEN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JIEFEN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JIEFEN_WEB_SESSION_SECRET", "test-session-secret")
    return monkeypatch


async def _health(web) -> dict:
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://jiefen.test") as http:
        return (await http.get("/healthz")).json()


async def test_without_platform_settings_only_the_web_chat_runs(app, environment) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    channels = build_channels(settings, app)
    assert [c.name for c in channels] == ["webchat"]
    assert sending_channels(settings, app.db) == []
    web = create_web_app(app, channels, run_worker=False, run_scheduler=False)
    assert (await _health(web))["channels"] == ["webchat"]


async def test_the_documented_names_switch_the_platforms_on(app, environment) -> None:
    for name, value in PLATFORMS.items() | {"JIEFEN_HTTP_PORT": "8099"}.items():
        environment.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.http_port == 8099
    channels = build_channels(settings, app)
    assert sorted(c.name for c in channels) == ["telegram", "webchat", "wechat"]
    wechat = next(c for c in channels if isinstance(c, WeChatChannel))
    assert (wechat.app_id, wechat.api_base) == ("wx-app", "http://127.0.0.1:9/wx")
    assert wechat.crypto is not None  # safe mode, because an AES key is set
    assert wechat.template_id == "TPL-progress"
    telegram = next(c for c in channels if isinstance(c, TelegramChannel))
    assert telegram.webhook_url == "https://jiefen.example/telegram"
    assert telegram.application.bot.base_url.startswith("http://127.0.0.1:9/tg/bot")
    assert sorted(c.name for c in sending_channels(settings, app.db)) == ["telegram", "wechat"]
    assert telegram.lead  # one process: it takes the updates in
    behind = build_channels(settings, app, lead=False)  # `serve --workers`: worker 1 and on
    assert [c.lead for c in behind if isinstance(c, TelegramChannel)] == [False]

    web = create_web_app(app, channels, run_worker=False, run_scheduler=False)
    health = await _health(web)
    assert health["channels"] == ["telegram", "webchat", "wechat"]
    assert health["status"] == "ok" and health["failed_channels"] == {}
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://jiefen.test") as http:
        assert (await http.get("/wechat")).status_code == 403  # unsigned
        assert (await http.post("/telegram", json={"update_id": 1})).status_code == 403


async def test_a_telegram_webhook_without_its_secret_is_refused(app, environment) -> None:
    environment.setenv("JIEFEN_TELEGRAM_TOKEN", "123456:test-token")
    environment.setenv("JIEFEN_TELEGRAM_WEBHOOK_URL", "https://jiefen.example/telegram")
    with pytest.raises(ValueError, match="JIEFEN_TELEGRAM_SECRET"):
        build_channels(Settings(_env_file=None), app)  # type: ignore[call-arg]
