"""Two real scheduler processes (`jiefen scheduler`, via tests/scheduler_process.py) against
one database: one leads, the other stands by; the leader is SIGKILLed in the middle of a burst
of due jobs, the standby takes over, and every job has run exactly once (a run cut off by the
kill rolled back with its claim and ran again in the new leader). The burst mixes slow test
jobs (they widen the window for the kill) with real appointment reminders: each resident's
reminder is pushed once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.clock import SystemClock
from backend.db import Database
from backend.job_requests import TimedJob, request_jobs
from backend.models import ChannelIdentity, Mediator, OutboxMessage, Resident
from backend.models_scheduling import Appointment
from backend.org_sync import load_organizations_if_empty
from jiefen.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_KEY
from tests.scheduler.support import db_fixture  # noqa: F401

ENTRY_POINT = PROJECT_ROOT / "tests" / "scheduler_process.py"
WITHIN = 90.0  # seconds any one step may take (processes starting on a slow machine)
JOBS = 120
REMINDERS = 40


@dataclass
class Schedulers:
    database_url: str
    folder: Path
    started: list[asyncio.subprocess.Process] = field(default_factory=list)
    killed: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def start(self) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
        env |= {
            "JIEFEN_DATABASE_URL": self.database_url,
            "JIEFEN_SECRET_KEY": TEST_KEY,
            "JIEFEN_VAR_DIR": str(self.folder / "var"),
            "JIEFEN_TEST_SLOW_SECONDS": "0.05",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        log = self.log_path(len(self.started)).open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-P", str(ENTRY_POINT), env=env, cwd=self.folder, stderr=log
        )
        log.close()
        self.started.append(process)
        return process

    def log_path(self, index: int) -> Path:
        return self.folder / f"scheduler-{index + 1}.log"

    def log(self, process: asyncio.subprocess.Process) -> str:
        return self.log_path(self.started.index(process)).read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {p.pid}:\n{self.log(p)[-3000:]}" for p in self.started)

    def leaders(self) -> list[asyncio.subprocess.Process]:
        return [p for p in self.started if p not in self.killed and "leading" in self.log(p)]

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        self.killed.append(process)
        process.kill()  # SIGKILL: no clean-up, the lock goes with the connection
        await process.wait()


@pytest.fixture
async def schedulers(database_url: str, tmp_path: Path) -> AsyncIterator[Schedulers]:
    pool = Schedulers(database_url, tmp_path)
    try:
        yield pool
    finally:
        for process in pool.started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _until(what: Callable[[], object], pool: Schedulers, description: str) -> None:
    deadline = asyncio.get_running_loop().time() + WITHIN
    while True:
        outcome = what()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        died = [p for p in pool.started if p.returncode is not None and p not in pool.killed]
        if died or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no sign of {description}\n{pool.logs()}")
        await asyncio.sleep(0.02)


async def _runs(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        stmt = (
            select(OutboxMessage.recipient, func.count())
            .where(OutboxMessage.purpose == "test_ping")
            .group_by(OutboxMessage.recipient)
        )
        return {recipient: count for recipient, count in await session.execute(stmt)}


async def _appointments(db: Database, count: int, starts: datetime) -> list[int]:
    """Residents on Telegram with a booked hour each, with the network's judges."""
    async with db.sessions() as session, session.begin():
        await load_organizations_if_empty(session, Settings(_env_file=None).organizations_path)  # type: ignore[call-arg]
        staff = list(await session.scalars(select(Mediator).order_by(Mediator.id)))
        booked = []
        for i in range(count):
            resident = Resident(locale="zh", created_at=starts)
            session.add(resident)
            await session.flush()
            session.add(
                ChannelIdentity(
                    channel="telegram",
                    external_id=str(880000 + i),
                    resident_id=resident.id,
                    created_at=starts,
                    last_seen_at=starts,
                )
            )
            appointment = Appointment(
                resident_id=resident.id,
                mediator_id=staff[i % len(staff)].id,
                starts_at=starts + timedelta(hours=i // len(staff)),
                ends_at=starts + timedelta(hours=i // len(staff), minutes=30),
                mode="in_person",
                place="镇调解室",
                status="booked",
                booked_by="resident",
                created_at=starts,
                updated_at=starts,
            )
            session.add(appointment)
            await session.flush()
            booked.append(appointment.id)
        return booked


async def _reminded(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        stmt = (
            select(OutboxMessage.recipient, func.count())
            .where(OutboxMessage.purpose == "appointment_reminder")
            .group_by(OutboxMessage.recipient)
        )
        return {recipient: count for recipient, count in await session.execute(stmt)}


async def test_the_standby_takes_over_from_a_killed_leader_and_no_job_runs_twice(
    db: Database, schedulers: Schedulers
) -> None:
    first, second = await schedulers.start(), await schedulers.start()
    await _until(lambda: schedulers.leaders(), schedulers, "a leader")
    (leader,) = schedulers.leaders()
    standby = second if leader is first else first
    await _until(lambda: "standing by" in schedulers.log(standby), schedulers, "a standby")
    assert schedulers.leaders() == [leader]

    now = SystemClock().now()
    appointments = await _appointments(db, REMINDERS, now + timedelta(hours=23))
    base = now - timedelta(seconds=1)
    async with db.sessions() as session, session.begin():
        jobs = [
            TimedJob(
                f"ping:proc:{i}", "test_ping", (f"proc-{i}",), base + timedelta(milliseconds=i)
            )
            for i in range(JOBS)
        ]
        # Due between the slow jobs (one after every third), so the kill falls among them too.
        step = JOBS // REMINDERS
        jobs += [
            TimedJob(
                f"appointment:{a}:remind:24h",
                "appointment_reminder",
                (a, "24h"),
                base + timedelta(milliseconds=i * step, microseconds=500),
            )
            for i, a in enumerate(appointments)
        ]
        await request_jobs(session, jobs, at=now)

    async def some_ran() -> bool:
        return len(await _runs(db)) >= 10

    await _until(some_ran, schedulers, "the leader running the first jobs")
    await schedulers.kill(leader)
    ran_before = len(await _runs(db))
    assert ran_before < JOBS, "the leader finished before it was killed"

    await _until(lambda: "leading" in schedulers.log(standby), schedulers, "the takeover")

    async def all_ran() -> bool:
        return len(await _runs(db)) == JOBS

    await _until(all_ran, schedulers, f"all {JOBS} jobs to run")
    runs = await _runs(db)
    assert runs == {f"proc-{i}": 1 for i in range(JOBS)}

    async def all_reminded() -> bool:
        return len(await _reminded(db)) == REMINDERS

    await _until(all_reminded, schedulers, f"all {REMINDERS} reminders")
    assert await _reminded(db) == {str(880000 + i): 1 for i in range(REMINDERS)}
    assert "failed" not in schedulers.log(standby)  # no run hit a push already made
    assert standby.returncode is None
