"""The spool alone: durable, in order, encrypted at rest, and a crash mid-write loses nothing
that was acknowledged."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.crypto import PersonalDataCipher, new_fernet_key
from bot.messages import Attachment, IncomingMessage
from bot.spool import ASIDE, SUFFIX, Spool

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
PHONE = "13812345678"


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(new_fernet_key())


def _message(user: str, text: str, **extra: object) -> IncomingMessage:
    return IncomingMessage("wechat", user, text, **extra)  # type: ignore[arg-type]


def test_messages_survive_a_restart_in_order_per_user(tmp_path: Path, cipher) -> None:
    spool = Spool(tmp_path, cipher)
    photo = Attachment("photo", "/var/evidence/ab.jpg", "image/jpeg", 1234, "ab" * 32)
    spool.append(_message("o-alice", "第一条"), AT)
    spool.append(_message("o-bob", "", payload="consent:yes", message_id="9001"), AT)
    spool.append(_message("o-alice", "第二条", attachments=(photo,)), AT)
    assert len(spool) == 3 and spool.holds("wechat", "o-alice")
    assert not spool.holds("telegram", "o-alice")

    reopened = Spool(tmp_path, cipher)  # the process died; a new one starts
    assert len(reopened) == 3
    assert reopened.users() == [("wechat", "o-alice"), ("wechat", "o-bob")]
    alice = reopened.entries_for("wechat", "o-alice")
    assert [e.message.text for e in alice] == ["第一条", "第二条"]
    assert alice[1].message.attachments == (photo,)
    assert alice[0].received_at == AT
    (bob,) = reopened.entries_for("wechat", "o-bob")
    assert bob.message == _message("o-bob", "", payload="consent:yes", message_id="9001")

    reopened.remove(alice[0])
    assert [e.message.text for e in Spool(tmp_path, cipher).entries_for("wechat", "o-alice")] == [
        "第二条"
    ]
    reopened.remove(alice[1])
    reopened.remove(bob)
    assert len(reopened) == 0 and reopened.removed == 3 and reopened.users() == []
    assert list(tmp_path.glob(f"*{SUFFIX}")) == []


def test_personal_data_is_encrypted_at_rest(tmp_path: Path, cipher) -> None:
    spool = Spool(tmp_path, cipher)
    spool.append(_message("o-alice-openid", f"我的电话是{PHONE}，住在枫桥镇陈家村"), AT)
    (path,) = tmp_path.glob(f"*{SUFFIX}")
    raw = path.read_bytes()
    for secret in (PHONE, "枫桥镇", "o-alice-openid", "wechat"):
        assert secret.encode() not in raw
    assert PHONE not in path.name and "alice" not in path.name
    assert path.stat().st_size > 0


def test_a_half_written_file_is_ignored_and_a_damaged_one_kept_aside(
    tmp_path: Path, cipher, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, cipher)
    kept = spool.append(_message("o-alice", "完整的一条"), AT)
    damaged = spool.append(_message("o-bob", "会被截断的一条"), AT)
    # A crash while writing leaves only the temporary file (the resident was never answered).
    (tmp_path / f".{kept.id}9.tmp").write_bytes(b"gAAAAAB-half-a-token")
    # A file damaged after the fact (a bad disk) must not be silently dropped.
    damaged_path = tmp_path / f"{damaged.id}{SUFFIX}"
    damaged_path.write_bytes(damaged_path.read_bytes()[:40])

    with caplog.at_level(logging.WARNING, logger="bot.spool"):
        reopened = Spool(tmp_path, cipher)
    assert [e.message.text for e in reopened.entries_for("wechat", "o-alice")] == ["完整的一条"]
    assert len(reopened) == 1 and not reopened.holds("wechat", "o-bob")
    assert list(tmp_path.glob(".*.tmp")) == []
    assert (tmp_path / ASIDE / damaged_path.name).exists() and reopened.aside_count() == 1
    assert any("cannot be read" in r.message for r in caplog.records)


def test_another_key_cannot_read_it_and_nothing_is_deleted(tmp_path: Path, cipher) -> None:
    Spool(tmp_path, cipher).append(_message("o-alice", "你好"), AT)
    other = Spool(tmp_path, PersonalDataCipher(new_fernet_key()))
    assert len(other) == 0 and other.aside_count() == 1


def test_a_refusing_disk_raises_and_leaves_nothing_behind(tmp_path: Path, cipher) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder, cipher)
    folder.rmdir()  # the disk went away under the process (or is full: same OSError path)
    with pytest.raises(OSError):
        spool.append(_message("o-alice", "丢不丢"), AT)
    assert len(spool) == 0


async def test_keep_wakes_whoever_waits_for_messages(tmp_path: Path, cipher) -> None:
    spool = Spool(tmp_path, cipher)
    waiting = asyncio.create_task(spool.wait_for_messages())
    await asyncio.sleep(0)
    assert not waiting.done()
    await spool.keep(_message("o-alice", "在吗"), AT)
    await asyncio.wait_for(waiting, 5)
    await asyncio.wait_for(spool.wait_for_messages(), 1)  # at once while one waits
