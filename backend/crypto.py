"""Encryption of personal data at rest, and masking for logs and pushes.

Columns holding phone numbers, ID numbers, addresses and free-text accounts are
encrypted with Fernet (AES-128-CBC + HMAC); a keyed hash (HMAC-SHA256) stands beside
the ones we must look up by value, so equality search never needs the plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class PersonalDataCipher:
    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else key
        self._fernet = Fernet(raw)
        self._hash_key = hashlib.sha256(b"jiefen-lookup:" + raw).digest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def load_or_create_key(secret_key: str, var_dir: Path) -> str:
    """A configured key wins; otherwise one is generated once and kept beside the database."""
    if secret_key:
        return secret_key
    key_file = var_dir / "secret.key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


_cipher: PersonalDataCipher | None = None


def install_cipher(cipher: PersonalDataCipher) -> None:
    """Column types are created at import time, so the process-wide cipher is set later."""
    global _cipher
    _cipher = cipher


def current_cipher() -> PersonalDataCipher:
    if _cipher is None:
        raise RuntimeError("personal-data cipher not installed; call backend.db.open_database")
    return _cipher


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else current_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            return current_cipher().decrypt(value)
        except InvalidToken as exc:
            raise RuntimeError("cannot decrypt personal data: wrong JIEFEN_SECRET_KEY?") from exc


class EncryptedJSON(TypeDecorator[dict[str, Any]]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return current_cipher().encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect: Any) -> dict[str, Any] | None:
        return None if value is None else json.loads(current_cipher().decrypt(value))


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
