"""Helpers of bench/wechat_bench.py: the server processes, the throwaway PostgreSQL database,
and readings from /proc (memory, CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


# --- readings from /proc ------------------------------------------------------------------


def rss_mib(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, MiB (VmRSS, VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User and system CPU of a process (and of its children that ended, if asked)."""
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(stat[11]) + int(stat[12])
        if reaped_children:
            ticks += int(stat[13]) + int(stat[14])
        return ticks / TICK
    return 0.0


def postgres_cpu_seconds() -> float:
    """Every PostgreSQL process of the machine, ended backends included (through the
    postmaster's reaped-children times); other users of the server count too."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name), reaped_children=True)
    return total


def machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK  # all but idle and iowait


@dataclass
class CpuMeter:
    """CPU used during a phase, in cores (1.0: one core busy all the time)."""

    pids: list[int]
    marks: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        return {
            "server": sum(cpu_seconds(p) for p in self.pids),
            "client": time.process_time(),
            "postgres": postgres_cpu_seconds(),
            "machine": machine_busy_seconds(),
            "wall": time.perf_counter(),
        }

    def start(self) -> None:
        self.marks = self._read()

    def stop(self) -> dict[str, float]:
        now = self._read()
        wall = now.pop("wall") - self.marks["wall"]
        return {k: round((v - self.marks[k]) / wall, 2) for k, v in now.items()}


# --- the server processes -----------------------------------------------------------------


def _child_setup(cpus: set[int] | None) -> Callable[[], None]:
    def setup() -> None:
        with contextlib.suppress(Exception):  # the server dies with the bench, even on SIGKILL
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        os.sched_setaffinity(0, cpus or range(os.cpu_count() or 1))  # not the bench's pin

    return setup


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(
        self, command: list[str], env: dict[str, str], log: Path, cpus: set[int] | None
    ) -> None:
        self.logs.append(log)
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(
                    command, env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=_child_setup(cpus),
                )
            )

    async def wait_started(self, within: float = 180) -> None:
        """Until the last one started says it serves (workers start one after the other)."""
        proc, log = self.procs[-1], self.logs[-1]
        until = time.monotonic() + within
        while "Application startup complete" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > until:
                raise SystemExit(f"the server did not start; its log:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    async def stop(self, within: float = 30) -> None:
        """SIGTERM (uvicorn finishes what is in flight), SIGKILL after `within` seconds. The
        loop runs meanwhile: a server finishing late replies talks to the fake API in it."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        until = time.monotonic() + within
        for proc in self.procs:
            try:
                await asyncio.to_thread(proc.wait, max(until - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def reports(self) -> list[dict[str, Any]]:
        """What each server logged at exit: its BENCH-GC and BENCH-TIMINGS lines."""
        found: list[dict[str, Any]] = []
        for log in self.logs:
            lines = log.read_text(errors="replace").splitlines()
            found.append({
                name: json.loads(data)
                for name, _, data in (line.partition(" ") for line in lines)
                if name.startswith("BENCH-")
            })
        return found


# --- the database -------------------------------------------------------------------------


def database_url(admin_url: str, name: str, driver: str) -> str:
    return admin_url.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://") + f"/{name}"


async def admin_sql(admin_url: str, sql: str, *args: Any) -> Any:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def throwaway_database(admin_url: str) -> AsyncIterator[str]:
    """A new database on the server the tests use; dropped afterwards, whatever happens."""
    name = f"jiefen_bench_{uuid.uuid4().hex[:12]}"
    await admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        await asyncio.shield(admin_sql(admin_url, drop))


async def connections_opened(admin_url: str, name: str) -> int:
    """Sessions ever opened to the database: a pool that keeps closing and reopening
    connections shows here."""
    sql = "SELECT sessions FROM pg_stat_database WHERE datname = $1"
    return int(await admin_sql(admin_url, sql, name) or 0)


async def verify_database(url: str, sent: list[int]) -> dict[str, int]:
    """Every MsgId sent claimed exactly once, nothing else claimed; cases stored."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT dedup_key, count(*) AS n FROM inbound_messages WHERE channel = 'wechat' "
            "GROUP BY dedup_key"
        )
        cases = await conn.fetchval("SELECT count(*) FROM cases")
    finally:
        await conn.close()
    claimed = {r["dedup_key"]: r["n"] for r in rows}
    wanted = {f"wx:{i}" for i in sent}
    return {
        "sent": len(sent),
        "claimed": len(claimed),
        "missing": len(wanted - claimed.keys()),
        "unexpected": len(claimed.keys() - wanted),
        "claimed_twice": sum(1 for n in claimed.values() if n > 1),
        "cases": int(cases),
    }
