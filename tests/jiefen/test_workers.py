"""`jiefen serve --workers 2` in real processes: both workers answer on the one port, a worker
SIGKILLed is started again with its index while the other keeps answering, only worker 0
takes Telegram's updates in (against the fake Bot API over loopback), and SIGTERM stops them
all with status 0. PostgreSQL, a database of the test's own (the workers' first start
migrates it); SQLite is refused before anything starts. The supervisor's own rules (giving up
on workers that keep dying, a failed start) run with a stand-in server in a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiefen.settings import PROJECT_ROOT, Settings
from jiefen.workers import WorkerInfo, _gather_spools
from tests.conftest import TEST_KEY
from tests.fakes.telegram_api import FakeTelegram
from tests.servers import free_port

WITHIN = 90.0  # seconds any one step may take (two processes loading the NLU model)
CHAT = 626262
Seen = dict[int, int]  # worker index -> the pid that answered for it last


def _environment(folder: Path, **settings: str) -> dict[str, str]:
    """Only the test's JIEFEN_* settings (none of the caller's; no .env in `folder`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
    return env | {"JIEFEN_VAR_DIR": str(folder / "var"), "JIEFEN_SECRET_KEY": TEST_KEY} | settings


def _stat(pid: int) -> list[str]:
    """State, parent pid, …: /proc/PID/stat after the command name; [] for no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie has ended: an orphan's may wait for a PID 1 that does not reap)."""
    stat = _stat(pid)
    return bool(stat) and stat[0] != "Z"


def _parent_of(pid: int) -> int:
    return int(_stat(pid)[1])


def _is_a_server(pid: int) -> bool:
    try:
        return b"jiefen.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


@dataclass
class Server:
    """`jiefen serve --workers 2` as a subprocess, and a client opening a new connection for
    every request (so the kernel may hand each to either worker)."""

    process: asyncio.subprocess.Process
    log: Path
    http: httpx.AsyncClient
    pids: set[int] = field(default_factory=set)  # every worker pid seen

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def ready(self) -> None:
        """/readyz answers 200. Until a worker accepts, connections wait in the parent's
        listen queue (or time out): never refused."""
        deadline = asyncio.get_running_loop().time() + WITHIN
        while True:
            assert self.process.returncode is None, self.output()[-5000:]
            try:
                if (await self.http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert asyncio.get_running_loop().time() < deadline, self.output()[-5000:]
            await asyncio.sleep(0.1)

    async def answering(self, until: Callable[[Seen], bool], what: str) -> Seen:
        """Asks /healthz, eight requests at a time, until `until(seen)`; every answer is 200
        from one of the two workers."""
        seen: Seen = {}
        deadline = asyncio.get_running_loop().time() + WITHIN
        while True:
            answers = await asyncio.gather(*(self.http.get("/healthz") for _ in range(8)))
            for answer in answers:
                assert answer.status_code == 200, answer.text
                worker = answer.json()["worker"]
                assert worker["of"] == 2 and worker["index"] in (0, 1), worker
                seen[worker["index"]] = worker["pid"]
                self.pids.add(worker["pid"])
            if until(seen):
                return seen
            assert self.process.returncode is None, self.output()[-5000:]
            assert asyncio.get_running_loop().time() < deadline, (
                f"no sign of {what} (seen {seen})\n{self.output()[-5000:]}"
            )


@pytest.fixture
async def server(
    unmigrated_pg_url: str,
    telegram: tuple[FakeTelegram, str],
    tmp_path: Path,
    shared_nlu: Any,
    nlu_cache_dir: Path,
) -> AsyncIterator[Server]:
    fake, api_base = telegram
    port = free_port()
    env = _environment(
        tmp_path,
        JIEFEN_DATABASE_URL=unmigrated_pg_url,
        JIEFEN_HTTP_PORT=str(port),
        JIEFEN_NLU_CACHE=str(nlu_cache_dir),  # trained once by shared_nlu
        JIEFEN_TELEGRAM_TOKEN=fake.token,  # long polling: no webhook URL
        JIEFEN_TELEGRAM_API_BASE=api_base,
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "jiefen.cli", "serve", "--workers", "2"),
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=fresh
    ) as http:
        running = Server(process, log, http)
        try:
            yield running
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            for pid in running.pids:  # a worker outliving its supervisor ends with it anyway
                if _alive(pid) and _is_a_server(pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_workers_share_the_port_restart_and_stop_together(
    server: Server, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram
    await server.ready()
    seen = await server.answering(lambda seen: len(seen) == 2, "both workers answering")
    parent = server.process.pid
    assert len(set(seen.values())) == 2 and parent not in seen.values()
    assert all(_parent_of(pid) == parent for pid in seen.values())

    # Both processes are ready to send to Telegram, only worker 0 polls and set the menu.
    assert fake.calls.count("deleteWebhook") == 1  # PTB's start of long polling
    assert fake.calls.count("setMyCommands") == 2  # zh and en, once
    fake.queue(fake.text_update(CHAT, "你好"))
    await fake.wait_until(lambda: any(int(m["chat_id"]) == CHAT for m in fake.sent), within=30)
    assert "getUpdates" in fake.calls and "setWebhook" not in fake.calls

    first = seen[0]
    os.kill(first, signal.SIGKILL)
    seen = await server.answering(
        lambda seen: seen.get(0) not in (None, first), "worker 0 started again"
    )
    assert not _alive(first) and _parent_of(seen[0]) == parent
    assert f"worker 0 (pid {first}) ended (signal SIGKILL); starting it again" in server.output()
    assert fake.calls.count("deleteWebhook") == 2  # the new worker 0 polls in its place
    assert fake.calls.count("setMyCommands") == 4
    await server.answering(lambda seen: len(seen) == 2, "both workers answering again")

    workers = set(seen.values())
    server.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(server.process.wait(), WITHIN) == 0, server.output()[-5000:]
    assert not any(_alive(pid) for pid in workers)
    output = server.output()
    assert output.count("Application shutdown complete") == 2, output[-5000:]
    assert "all workers stopped" in output


@pytest.mark.postgres
@pytest.mark.slow
async def test_workers_end_when_their_supervisor_is_killed(server: Server) -> None:
    await server.ready()
    seen = await server.answering(lambda seen: len(seen) == 2, "both workers answering")
    server.process.kill()  # SIGKILL: the parent cannot stop them itself
    await server.process.wait()
    deadline = asyncio.get_running_loop().time() + WITHIN
    while any(_alive(pid) for pid in seen.values()):
        assert asyncio.get_running_loop().time() < deadline, server.output()[-5000:]
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_several_workers_on_sqlite_are_refused_before_anything_starts(
    how: str, tmp_path: Path
) -> None:
    port = free_port()
    env = _environment(tmp_path, JIEFEN_HTTP_PORT=str(port))  # the default: SQLite in var/
    command = [sys.executable, "-m", "jiefen.cli", "serve"]
    if how == "option":
        command += ["--workers", "2"]
    else:
        env["JIEFEN_HTTP_WORKERS"] = "2"
    ended = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=WITHIN
    )
    assert ended.returncode == 1
    assert ended.stderr.strip().splitlines() == [
        "Error: 2 server processes (--workers, JIEFEN_HTTP_WORKERS) need PostgreSQL "
        "(JIEFEN_DATABASE_URL): SQLite takes one writing process at a time"
    ]
    assert ended.stdout == ""
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == []  # no database, no spool


STAND_IN = """
import sys
from jiefen.logs import configure_logging
from jiefen.settings import Settings
from jiefen.workers import serve_workers

def serve(worker, sockets):
    sys.exit(3)

def prepare():
    sys.exit(int(sys.argv[2]))

configure_logging("INFO")
settings = Settings(_env_file=None, http_port=int(sys.argv[1]), var_dir="var")
sys.exit(serve_workers(settings, 2, serve, prepare=prepare))
"""


def _stand_in(tmp_path: Path, prepared: int) -> subprocess.CompletedProcess[str]:
    """The supervisor with a server that exits at once, and `prepare` ending with `prepared`."""
    command = [sys.executable, "-c", STAND_IN, str(free_port()), str(prepared)]
    env = _environment(tmp_path, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=WITHIN
    )


def test_workers_that_keep_dying_stop_the_server(tmp_path: Path) -> None:
    ended = _stand_in(tmp_path, prepared=0)
    assert ended.returncode == 1, ended.stderr
    log = ended.stderr
    # Four deaths restarted, the fifth stops the server (the two restarts of a round come due
    # a moment apart, so the fifth death may come before the other worker's third start).
    assert log.count("ended (exit status 3); starting it again in 1 s") == 4, log
    assert log.count("worker 0 started") >= 2 and log.count("worker 1 started") >= 2, log
    assert "workers died 5 times within 60 s; stopping" in log


def test_a_failed_start_starts_no_worker(tmp_path: Path) -> None:
    ended = _stand_in(tmp_path, prepared=2)
    assert ended.returncode == 1, ended.stderr
    assert "the start failed (exit status 2): no worker started" in ended.stderr
    assert "worker 0 started" not in ended.stderr


def test_spools_of_processes_that_no_longer_exist_go_to_worker_0(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", _env_file=None)  # type: ignore[call-arg]
    base = settings.spool_dir
    for name in ("worker-1", "worker-3", "aside"):
        (base / name).mkdir(parents=True)
    (base / "1-100-000000.msg").write_text("kept by a single-process server")
    (base / "worker-3" / "2-300-000000.msg").write_text("kept by a fourth worker")
    (base / "worker-1" / "3-200-000000.msg").write_text("worker 1's own")
    (base / "aside" / "0-100-000000.msg").write_text("for an operator")

    _gather_spools(settings, 2)

    assert WorkerInfo(0, 2).spool_dir(settings) == base / "worker-0"
    assert sorted(p.name for p in (base / "worker-0").iterdir()) == [
        "1-100-000000.msg",
        "2-300-000000.msg",
    ]
    assert [p.name for p in (base / "worker-1").iterdir()] == ["3-200-000000.msg"]
    assert [p.name for p in (base / "aside").iterdir()] == ["0-100-000000.msg"]
    assert list(base.glob("*.msg")) == [] and list((base / "worker-3").iterdir()) == []
    assert WorkerInfo().spool_dir(settings) == base  # one process: var/spool/ as always
