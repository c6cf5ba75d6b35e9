import logging
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from backend.crypto import (
    PersonalDataCipher,
    load_or_create_key,
    new_fernet_key,
)
from jiefen.logs import MaskPersonalData


def test_round_trip_and_ciphertext_hides_the_phone() -> None:
    cipher = PersonalDataCipher(new_fernet_key())
    token = cipher.encrypt("13812345678")
    assert "13812345678" not in token
    assert cipher.decrypt(token) == "13812345678"


def test_another_key_cannot_read_it() -> None:
    token = PersonalDataCipher(new_fernet_key()).encrypt("secret")
    with pytest.raises(InvalidToken):
        PersonalDataCipher(new_fernet_key()).decrypt(token)


def test_lookup_hash_is_stable_per_key_and_differs_across_keys() -> None:
    key = new_fernet_key()
    assert PersonalDataCipher(key).lookup_hash("x") == PersonalDataCipher(key).lookup_hash("x")
    assert PersonalDataCipher(key).lookup_hash("x") != PersonalDataCipher(
        new_fernet_key()
    ).lookup_hash("x")


def test_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_key("", tmp_path)
    assert load_or_create_key("", tmp_path) == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    assert load_or_create_key("configured", tmp_path) == "configured"


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jiefen.test")
    logger.addFilter(MaskPersonalData())
    with caplog.at_level(logging.INFO, logger="jiefen.test"):
        logger.info("resident %s called", "13812345678")
    assert "13812345678" not in caplog.text
    assert "138****5678" in caplog.text
