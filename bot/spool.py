"""The spool: incoming messages kept on local disk while the database cannot be reached.

One file per message under var/spool/, named so that names sort in arrival order. A file is
written whole to a temporary name, fsync'd, renamed into place and the folder fsync'd, so
once `append` returns the message survives a crash or power cut; a crash while writing leaves
only a temporary file, which is ignored (the resident was never told "received"). The content
is the message as JSON, encrypted with the personal-data key (Fernet), so nothing a resident
wrote sits in plain text on disk. A file that cannot be read back (damaged, another key) is
moved to spool/aside/ and logged, never silently dropped.

An in-memory index says which (channel, user) have messages waiting, so the engine's check on
every message costs a dict lookup. The spool belongs to one server process (its var folder).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken

from backend.crypto import PersonalDataCipher
from bot.messages import Attachment, IncomingMessage

log = logging.getLogger(__name__)

SUFFIX = ".msg"
ASIDE = "aside"  # messages that cannot be read back or handled, kept for an operator

UserKey = tuple[str, str]  # (channel, user id)


@dataclass(frozen=True)
class Spooled:
    """A message waiting on disk; `id` is its file name without the suffix."""

    id: str
    message: IncomingMessage
    received_at: datetime

    @property
    def user(self) -> UserKey:
        return (self.message.channel, self.message.user_id)


def _encode(message: IncomingMessage, received_at: datetime) -> str:
    data = asdict(message)
    data["received_at"] = received_at.isoformat()
    return json.dumps(data, ensure_ascii=False)


def _decode(entry_id: str, raw: str) -> Spooled:
    data: dict[str, Any] = json.loads(raw)
    received_at = datetime.fromisoformat(data.pop("received_at"))
    data["attachments"] = tuple(Attachment(**a) for a in data.get("attachments", ()))
    return Spooled(entry_id, IncomingMessage(**data), received_at)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    def __init__(self, folder: Path, cipher: PersonalDataCipher) -> None:
        self.folder, self.cipher = folder, cipher
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # appends may run in worker threads
        self._counter = itertools.count()
        self._last_id = ""
        self._entries: dict[str, Spooled] = {}
        self._by_user: dict[UserKey, list[str]] = {}
        self._arrived = asyncio.Event()
        self.removed = 0  # messages handled and taken out since the start
        self._load()

    # --- reading ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def holds(self, channel: str, user_id: str) -> bool:
        return (channel, user_id) in self._by_user

    def users(self) -> list[UserKey]:
        """Users with messages waiting, the one waiting longest first."""
        with self._lock:  # an append may be indexing in its thread
            return sorted(self._by_user, key=lambda user: self._by_user[user][0])

    def entries_for(self, channel: str, user_id: str) -> list[Spooled]:
        """This user's waiting messages, in arrival order."""
        with self._lock:
            return [self._entries[i] for i in self._by_user.get((channel, user_id), [])]

    async def wait_for_messages(self) -> None:
        """Returns when at least one message waits (at once if one does)."""
        while not self._entries:
            self._arrived.clear()
            await self._arrived.wait()

    # --- writing ----------------------------------------------------------------------

    async def keep(self, message: IncomingMessage, received_at: datetime) -> Spooled:
        """`append` off the event loop (fsync takes a while), then wakes the replayer."""
        entry = await asyncio.to_thread(self.append, message, received_at)
        self._arrived.set()
        return entry

    def append(self, message: IncomingMessage, received_at: datetime) -> Spooled:
        """Durable on return (fsync'd); raises OSError when the disk refuses (full, read-only).
        One user's messages are appended one at a time (the dialogue holds the user's lock)."""
        with self._lock:
            entry_id = f"{time.time_ns():020d}-{os.getpid()}-{next(self._counter):06d}"
            # Never sort before a message this process already holds: the wall clock may step.
            if entry_id <= self._last_id:
                entry_id = f"{self._last_id}.{next(self._counter):06d}"
            self._last_id = entry_id
        token = self.cipher.encrypt(_encode(message, received_at)).encode("ascii")
        temporary = self.folder / f".{entry_id}.tmp"
        try:
            with temporary.open("wb") as handle:
                handle.write(token)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.rename(self.folder / f"{entry_id}{SUFFIX}")
            _fsync_dir(self.folder)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        entry = Spooled(entry_id, message, received_at)
        with self._lock:
            self._index(entry)
        return entry

    def remove(self, entry: Spooled) -> None:
        """After the message's handling has committed."""
        with self._lock:
            (self.folder / f"{entry.id}{SUFFIX}").unlink(missing_ok=True)
            if self._entries.pop(entry.id, None) is not None:
                self.removed += 1
            waiting = self._by_user.get(entry.user, [])
            if entry.id in waiting:
                waiting.remove(entry.id)
            if not waiting:
                self._by_user.pop(entry.user, None)

    def set_aside(self, entry: Spooled) -> Path:
        """Takes a message out of the queue without losing it (it cannot be handled)."""
        target = self._move_aside(self.folder / f"{entry.id}{SUFFIX}")
        self.remove(entry)
        return target

    # --- start-up ---------------------------------------------------------------------

    def _index(self, entry: Spooled) -> None:
        self._last_id = max(self._last_id, entry.id)
        self._entries[entry.id] = entry
        self._by_user.setdefault(entry.user, []).append(entry.id)

    def _load(self) -> None:
        for leftover in self.folder.glob(".*.tmp"):  # a crash mid-write: never acknowledged
            log.warning("spool: removing %s, half-written when the process stopped", leftover)
            leftover.unlink(missing_ok=True)
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            try:
                entry = _decode(path.stem, self.cipher.decrypt(path.read_text("ascii")))
            except (InvalidToken, ValueError, TypeError, KeyError, UnicodeError) as exc:
                target = self._move_aside(path)
                log.error("spool: %s cannot be read (%s); moved to %s", path.name, exc, target)
                continue
            self._index(entry)
        if self._entries:
            log.warning(
                "spool: %d message(s) from before the restart wait in %s",
                len(self._entries),
                self.folder,
            )

    def _move_aside(self, path: Path) -> Path:
        folder = self.folder / ASIDE
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        path.rename(target)
        return target

    def aside_count(self) -> int:
        """Messages an operator must look at (spool/aside/)."""
        folder = self.folder / ASIDE
        return sum(1 for _ in folder.glob(f"*{SUFFIX}")) if folder.exists() else 0
