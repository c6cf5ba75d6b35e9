"""Typed settings: environment variables `JIEFEN_*` and an optional `.env`.

The defaults need nothing configured: SQLite under ./var, the builtin NLU, and the
console and web-chat channels only.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JIEFEN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Path("var")
    database_url: str = ""
    config_dir: Path = PROJECT_ROOT / "config"
    organizations_file: Path | None = None
    routing_file: Path | None = None

    default_locale: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    privacy_notice_version: str = "2026-11"

    # Key for personal data at rest (Fernet, urlsafe base64). Unset: a key file under var/.
    secret_key: str = Field(default="", repr=False)

    nlu_backend: Literal["builtin", "rasa"] = "builtin"
    nlu_data_dir: Path = PROJECT_ROOT / "nlu" / "data"
    nlu_cache: Path | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = Field(default="", repr=False)
    rasa_timeout_seconds: float = 2.0

    web_session_secret: str = Field(default="", repr=False)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # `jiefen serve` processes sharing the port (jiefen.workers); more than one needs PostgreSQL.
    http_workers: int = Field(default=1, ge=1)

    telegram_token: str = Field(default="", repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_secret: str = Field(default="", repr=False)

    wechat_token: str = Field(default="", repr=False)
    wechat_app_id: str = ""
    wechat_app_secret: str = Field(default="", repr=False)
    wechat_aes_key: str = Field(default="", repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_template_id: str = ""

    # Video mediation rooms: {room} becomes an unguessable token per appointment.
    video_room_url: str = "https://meet.jit.si/jiefen-{room}"

    # How often an idle outbox worker looks for due pushes.
    outbox_poll_seconds: float = 1.0

    # Conversation limits a resident can notice.
    description_max_chars: int = 3000
    short_answer_max_chars: int = 200

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'jiefen.db').resolve()}"

    @property
    def organizations_path(self) -> Path:
        return self.organizations_file or self.config_dir / "organizations.yaml"

    @property
    def routing_path(self) -> Path:
        return self.routing_file or self.config_dir / "routing.yaml"

    @property
    def locales_dir(self) -> Path:
        return self.config_dir / "locales"

    @property
    def evidence_dir(self) -> Path:
        """Outside every served folder: evidence is read through the case store only."""
        return self.var_dir / "evidence"

    @property
    def spool_dir(self) -> Path:
        """Messages kept while the database is unreachable (encrypted, one file each)."""
        return self.var_dir / "spool"

    @property
    def nlu_cache_dir(self) -> Path:
        return self.nlu_cache or self.var_dir / "nlu-cache"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings
