"""10,000 appointment reminders falling due at the same moment, delivered to a fake Telegram.

The deployment as it runs: a `jiefen scheduler` process (plans the job requests, then runs the
`appointment_reminder` jobs, which write the pushes to the outbox), a `jiefen worker` process
(delivers the outbox through the real Telegram channel, python-telegram-bot) and the fake Bot
API of tests/fakes/telegram_api.py in a process of its own, over loopback HTTP, all against a
fresh PostgreSQL database. Each reminder is an appointment booked by its own resident (a
Telegram chat), with the network file's judges and mediators; the seeded staff have no chat
account, so each reminder is one push, to the resident.

The requests are written first with one due time a little ahead; the scheduler plans them
while waiting; the clock starts when they fall due and stops when the fake has every message.
Checked: every chat got exactly one message and every outbox row is sent once.

    .venv/bin/python bench/reminders_bench.py [--count 10000] [--pg postgresql://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHAT_BASE = 700_000_000
TOKEN = "123456:BENCH-token"
WECHAT_APP, WECHAT_SECRET = "wx-bench-app", "bench-secret"


def serve_fake(port: int, channel: str) -> None:
    """The platform's fake API plus /counts (messages per recipient) for the bench to read."""
    import uvicorn
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    if channel == "telegram":
        from tests.fakes.telegram_api import FakeTelegram

        telegram = FakeTelegram(token=TOKEN)
        app = telegram.asgi()

        def recipients() -> list[str]:
            return [str(m["chat_id"]) for m in telegram.sent]
    else:
        from tests.fakes.wechat_api import FakeWeChatApi

        wechat = FakeWeChatApi(app_id=WECHAT_APP, app_secret=WECHAT_SECRET)
        app = wechat.asgi()

        def recipients() -> list[str]:
            return [str(m["touser"]) for m in wechat.custom + wechat.templates]

    async def counts(_request: object) -> JSONResponse:
        return JSONResponse(dict(Counter(recipients())))

    app.router.routes.append(Route("/counts", counts))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def recipient(channel: str, i: int) -> str:
    return str(CHAT_BASE + i) if channel == "telegram" else f"o-bench-{i:06d}"


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _seed(url: str, count: int, due: datetime, key: str, var: Path, channel: str) -> None:
    from sqlalchemy import insert, select

    from backend.db import open_database, upgrade_database
    from backend.job_requests import TimedJob, request_jobs
    from backend.models import ChannelIdentity, ConversationState, Mediator, Resident
    from backend.models_scheduling import Appointment
    from backend.org_sync import load_organizations_if_empty
    from jiefen.settings import Settings

    db = open_database(url, secret_key=key, var_dir=var)
    await upgrade_database(db)
    now = datetime.now(UTC)
    async with db.sessions() as session, session.begin():
        await load_organizations_if_empty(session, Settings(_env_file=None).organizations_path)  # type: ignore[call-arg]
        mediators = list(await session.scalars(select(Mediator.id).order_by(Mediator.id)))
        people = [{"locale": "zh", "created_at": now} for _ in range(count)]
        resident_ids = list(await session.scalars(insert(Resident).returning(Resident.id), people))
        await session.execute(
            insert(ChannelIdentity),
            [
                {
                    "channel": channel,
                    "external_id": recipient(channel, i),
                    "resident_id": rid,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i, rid in enumerate(resident_ids)
            ],
        )
        # They booked in chat, so each has a conversation (where a WeChat push's options are
        # remembered for the typed-number answer).
        await session.execute(
            insert(ConversationState),
            [
                {
                    "channel": channel,
                    "external_id": recipient(channel, i),
                    "data": {},
                    "locale": "zh",
                    "version": 1,
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
        # Appointments a day after the reminders fall due, spread over the staff's hours.
        first = due + timedelta(hours=24)
        appointments = [
            {
                "resident_id": rid,
                "mediator_id": mediators[i % len(mediators)],
                "starts_at": first + timedelta(minutes=30 * (i // len(mediators))),
                "ends_at": first + timedelta(minutes=30 * (i // len(mediators)) + 30),
                "mode": "in_person",
                "place": "镇调解室",
                "status": "booked",
                "booked_by": "resident",
                "created_at": now,
                "updated_at": now,
            }
            for i, rid in enumerate(resident_ids)
        ]
        ids = list(
            await session.scalars(insert(Appointment).returning(Appointment.id), appointments)
        )
        jobs = [
            TimedJob(f"bench:appointment:{a}:remind:24h", "appointment_reminder", (a, "24h"), due)
            for a in ids
        ]
        await request_jobs(session, jobs, at=now)
    await db.dispose()


async def _count(url: str, key: str, var: Path, sql: str) -> int:
    from sqlalchemy import text

    from backend.db import open_database

    db = open_database(url, secret_key=key, var_dir=var)
    try:
        async with db.engine.connect() as conn:
            return int(await conn.scalar(text(sql)) or 0)
    finally:
        await db.dispose()


def _counts(port: int) -> dict[str, int]:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/counts", timeout=10).json()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test", help="admin URL")
    parser.add_argument("--lead-seconds", type=float, default=90, help="seed to due time")
    parser.add_argument("--within", type=float, default=60, help="the target, in seconds")
    parser.add_argument(
        "--channel",
        choices=["wechat", "telegram"],
        default="wechat",
        help="the residents' platform (Telegram paces pushes at 25 a second, its limit)",
    )
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake, args.channel)
        return 0

    from backend.crypto import new_fernet_key

    name = f"jiefen_bench_{uuid.uuid4().hex[:10]}"
    base = args.pg.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    key = new_fernet_key()
    folder = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    var = folder / "var"
    asyncio.run(_admin(args.pg, f'CREATE DATABASE "{name}"'))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        due = datetime.now(UTC) + timedelta(seconds=args.lead_seconds)
        started = time.monotonic()
        asyncio.run(_seed(url, args.count, due, key, var, args.channel))
        print(
            f"seeded {args.count} appointments and reminder requests in "
            f"{time.monotonic() - started:.1f} s; due at {due:%H:%M:%S} UTC"
        )

        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
        env |= {
            "JIEFEN_DATABASE_URL": url,
            "JIEFEN_SECRET_KEY": key,
            "JIEFEN_VAR_DIR": str(var),
            "JIEFEN_OUTBOX_POLL_SECONDS": "0.2",
            "PYTHONPATH": str(ROOT),
        }
        if args.channel == "telegram":
            env |= {
                "JIEFEN_TELEGRAM_TOKEN": TOKEN,
                "JIEFEN_TELEGRAM_API_BASE": f"http://127.0.0.1:{port}/bot",
            }
        else:
            env |= {
                "JIEFEN_WECHAT_TOKEN": "bench-token",
                "JIEFEN_WECHAT_APP_ID": WECHAT_APP,
                "JIEFEN_WECHAT_APP_SECRET": WECHAT_SECRET,
                "JIEFEN_WECHAT_API_BASE": f"http://127.0.0.1:{port}",
            }
        jiefen = str(Path(sys.executable).parent / "jiefen")
        for name_, command in (
            (
                "fake",
                [sys.executable, __file__, "--serve-fake", str(port), "--channel", args.channel],
            ),
            ("scheduler", [jiefen, "scheduler"]),
            ("worker", [jiefen, "worker"]),
        ):
            log = (folder / f"{name_}.log").open("wb")
            processes.append(subprocess.Popen(command, env=env, cwd=folder, stderr=log))

        planned_sql = "SELECT count(*) FROM job_requests WHERE planned_at IS NOT NULL"
        while asyncio.run(_count(url, key, var, planned_sql)) < args.count:
            if datetime.now(UTC) >= due:
                raise SystemExit("the requests were not planned before they fell due")
            time.sleep(0.5)
        planned_in = time.monotonic() - started
        print(f"all planned {planned_in:.1f} s after seeding began (before they were due)")

        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        names = ("fake", "scheduler", "worker")
        cpu_before = {n: _cpu_seconds(p.pid) for n, p in zip(names, processes, strict=True)}
        t0 = time.monotonic()
        jobs_done_at = None
        while True:
            time.sleep(0.25)
            elapsed = time.monotonic() - t0
            if jobs_done_at is None:
                left = asyncio.run(
                    _count(
                        url,
                        key,
                        var,
                        "SELECT count(*) FROM apscheduler_jobs WHERE id LIKE 'bench:%'",
                    )
                )
                if left == 0:
                    jobs_done_at = elapsed
            counts = _counts(port)
            if sum(counts.values()) >= args.count or elapsed > args.within * 3:
                break
        delivered_in = time.monotonic() - t0
        cpu = {
            n: round(_cpu_seconds(p.pid) - cpu_before[n], 1)
            for n, p in zip(names, processes, strict=True)
        }
        time.sleep(3)  # anything sent twice would show up by now
        counts = _counts(port)
        outbox = asyncio.run(
            _count(
                url,
                key,
                var,
                "SELECT count(*) FROM outbox "
                "WHERE purpose = 'appointment_reminder' AND status = 'sent'",
            )
        )
        rows = asyncio.run(_count(url, key, var, "SELECT count(*) FROM outbox"))
        once = sum(1 for n in counts.values() if n == 1)
        twice = sum(1 for n in counts.values() if n > 1)
        expected = {recipient(args.channel, i) for i in range(args.count)}
        result = {
            "channel": args.channel,
            "reminders": args.count,
            "all_jobs_run_s": round(jobs_done_at, 1) if jobs_done_at is not None else None,
            "all_delivered_s": round(delivered_in, 1),
            "per_second": round(args.count / delivered_in),
            "chats_with_one": once,
            "chats_with_more": twice,
            "chats_missing": len(expected - set(counts)),
            "outbox_rows": rows,
            "outbox_sent": outbox,
            "cpu_seconds": cpu,
            "load_average": os.getloadavg()[0],
            "within_target": delivered_in <= args.within and once == args.count,
        }
        print(json.dumps(result, indent=2))
        return 0 if result["within_target"] and twice == 0 else 1
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"logs in {folder}")


if __name__ == "__main__":
    raise SystemExit(main())
