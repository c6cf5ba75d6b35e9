"""SIGKILL of a real outbox worker process (`jiefen worker`, via tests/outbox_worker_process.py)
at the two points that matter, against the fake Telegram Bot API over loopback HTTP and a real
database (SQLite and PostgreSQL):

1. after the push was committed and claimed, before the platform took it: the push is sent
   exactly once, by the worker that comes after the lease;
2. after the platform took it, before the worker recorded that: it is sent once more (that
   is the one repeat the design allows) and then never again.

No sleeping for the lease: the restarted process runs on a clock three minutes ahead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backend import outbox
from backend.clock import SystemClock
from backend.db import Database, open_database
from backend.delivery import DeliveryPolicy
from backend.models import OutboxMessage
from jiefen.settings import PROJECT_ROOT
from tests.conftest import TEST_KEY
from tests.fakes.telegram_api import FakeTelegram, SendGate

CHAT = 515151
ENTRY_POINT = PROJECT_ROOT / "tests" / "outbox_worker_process.py"
LATER = DeliveryPolicy().lease_seconds + 60  # seconds: the restarted worker's clock is ahead
WITHIN = 60.0  # seconds any one step may take (a process starting on a slow CI machine)


@dataclass
class Workers:
    """Starts `jiefen worker` processes against the fake Telegram and the test database."""

    database_url: str
    api_base: str
    token: str
    folder: Path
    started: list[asyncio.subprocess.Process] = field(default_factory=list)
    ended: list[asyncio.subprocess.Process] = field(default_factory=list)  # by the test

    async def start(self, *, clock_ahead: float = 0) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
        env |= {
            "JIEFEN_DATABASE_URL": self.database_url,
            "JIEFEN_SECRET_KEY": TEST_KEY,
            "JIEFEN_VAR_DIR": str(self.folder / "var"),
            "JIEFEN_TELEGRAM_TOKEN": self.token,
            "JIEFEN_TELEGRAM_API_BASE": self.api_base,
            "JIEFEN_OUTBOX_POLL_SECONDS": "0.05",
            "JIEFEN_TEST_CLOCK_OFFSET": str(clock_ahead),
        }
        log = (self.folder / f"worker-{len(self.started) + 1}.log").open("wb")
        # -P: the script's folder (tests/) must not come first on the path: tests/bot is not bot
        command = [sys.executable, "-P", str(ENTRY_POINT)]
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=self.folder, stderr=log
        )
        log.close()
        self.started.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {i}:\n{path.read_text(errors='replace')[-3000:]}"
            for i, path in enumerate(sorted(self.folder.glob("worker-*.log")), 1)
        )

    def died(self) -> bool:
        """Whether a worker ended that the test did not end."""
        return any(p.returncode is not None and p not in self.ended for p in self.started)

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        self.ended.append(process)
        process.kill()  # SIGKILL: no clean-up of any kind
        await process.wait()

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        self.ended.append(process)
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), WITHIN)


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    yield database
    await database.dispose()


@pytest.fixture
async def workers(
    database_url: str, telegram: tuple[FakeTelegram, str], tmp_path: Path
) -> AsyncIterator[Workers]:
    fake, api_base = telegram
    pool = Workers(database_url, api_base, fake.token, tmp_path)
    try:
        yield pool
    finally:
        for process in pool.started:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _push(db: Database, text: str) -> int:
    """A push committed in its own transaction, as the dialogue commits one with its cause."""
    now = SystemClock().now() - timedelta(seconds=1)
    async with db.sessions() as session, session.begin():
        row = outbox.enqueue_reply(
            session,
            channel="telegram",
            recipient=str(CHAT),
            reply={"text": text, "options": []},
            at=now,
        )
        await session.flush()
        return row.id


async def _row(db: Database, push_id: int) -> OutboxMessage:
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == push_id))
        assert row is not None
        return row


def _times_sent(fake: FakeTelegram, text: str) -> int:
    return sum(1 for m in fake.sent if m["text"] == text and int(m["chat_id"]) == CHAT)


async def _until(what: Callable[[], object], workers: Workers, description: str) -> None:
    """Bounded wait for something a worker process does, with its log if it never happens."""
    deadline = asyncio.get_running_loop().time() + WITHIN
    while True:
        outcome = what()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        if workers.died() or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no sign of {description}\n{workers.logs()}")
        await asyncio.sleep(0.02)


async def _held(gate: SendGate, workers: Workers) -> None:
    await _until(gate.reached.is_set, workers, "the worker to reach the held send")


async def _status(db: Database, push_id: int, status: str) -> bool:
    return (await _row(db, push_id)).status == status


@pytest.mark.parametrize("point", ["before", "after"])
async def test_a_killed_worker_sends_every_push_and_repeats_one_at_most_once(
    point: str, db: Database, telegram: tuple[FakeTelegram, str], workers: Workers
) -> None:
    fake, _ = telegram
    push_id = await _push(db, "您的案件有了新进展")
    gate = fake.hold_next_send(point)
    doomed = await workers.start()
    await _held(gate, workers)
    await workers.kill(doomed)
    assert doomed.returncode == -signal.SIGKILL
    gate.release.set()
    row = await _row(db, push_id)
    assert (row.status, row.attempts) == ("sending", 1)  # committed, claimed, not recorded
    sent_before_restart = 0 if point == "before" else 1
    assert _times_sent(fake, "您的案件有了新进展") == sent_before_restart

    # Restarted at once: the dead worker's lease still holds, so the push waits; a later
    # push going out shows the new worker did go round.
    first_later = await _push(db, "另一条推送")
    restarted = await workers.start()
    await _until(lambda: _status(db, first_later, "sent"), workers, "the later push")
    assert _times_sent(fake, "您的案件有了新进展") == sent_before_restart
    assert (await _row(db, push_id)).status == "sending"
    await workers.stop(restarted)

    # Three minutes later the lease has run out: the push goes (again), and is recorded.
    later = await workers.start(clock_ahead=LATER)
    await _until(lambda: _status(db, push_id, "sent"), workers, "the push to be sent")
    second_later = await _push(db, "再一条推送")
    await _until(lambda: _status(db, second_later, "sent"), workers, "one more round")
    await workers.stop(later)

    assert _times_sent(fake, "您的案件有了新进展") == sent_before_restart + 1  # 1, or 2 at most
    row = await _row(db, push_id)
    assert (row.status, row.attempts, row.lease_until) == ("sent", 2, None)
    assert _times_sent(fake, "另一条推送") == _times_sent(fake, "再一条推送") == 1
    assert all(p.returncode == 0 for p in workers.started[1:]), workers.logs()
