"""`jiefen serve --workers N`: N server processes accepting on one listening socket.

Why: one Python process uses one core, and most of a message's cost is CPU in the event loop
(docs/benchmarks.md), so a 2-core machine needs two processes to use both. The parent binds
the port once and forks the workers while it has no event loop, thread or database connection
(jiefen.cli imports nothing that starts one), so each child starts clean and runs the ordinary
single-process server on the inherited socket; the kernel gives each new connection to
whichever worker accepts it first. The parent itself only supervises: it passes SIGTERM and
SIGINT on, restarts a worker that dies with the same index, and gives up when they keep dying.

What a server must do once happens in worker 0 only (Telegram's updates: jiefen.channels);
the scheduler elects its leader through the database and the outbox worker claims rows with
leases, so those run in every worker. Each worker keeps its own spool folder. PostgreSQL only:
SQLite takes one writing process at a time (jiefen.cli refuses it). See docs/resilience.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from jiefen.settings import Settings

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
GIVE_UP_DEATHS = 5  # this many deaths within GIVE_UP_SECONDS stop the server: it is broken,
GIVE_UP_SECONDS = 60.0  # and a supervisor above (systemd) should see it fail, not a loop
STOP_SECONDS = 30.0  # after SIGTERM, how long workers may take to finish before SIGKILL
BACKLOG = 2048  # uvicorn's default: connections wait here while a worker restarts
SPOOL_SUFFIX = ".msg"  # bot.spool.SUFFIX (not imported: the parent stays light)
_STOP = {signal.SIGTERM, signal.SIGINT}
_WATCHED = {signal.SIGCHLD, *_STOP}
_PR_SET_PDEATHSIG = 1  # prctl(2)


@dataclass(frozen=True)
class WorkerInfo:
    """Which of the server's processes this is; a single-process server is worker 0 of 1."""

    index: int = 0
    of: int = 1

    @property
    def lead(self) -> bool:
        """Whether this process does what one server must do once (take Telegram's updates)."""
        return self.index == 0

    def spool_dir(self, settings: Settings) -> Path:
        """A spool belongs to one process (bot/spool.py). A restarted worker keeps its index,
        so it replays what it had kept; one process keeps using var/spool/ itself."""
        if self.of == 1:
            return settings.spool_dir
        return settings.spool_dir / f"worker-{self.index}"

    def describe(self) -> dict[str, int]:
        """For /healthz: which process answered."""
        return {"index": self.index, "of": self.of, "pid": os.getpid()}


_current = WorkerInfo()

Serve = Callable[[WorkerInfo, list[socket.socket] | None], None]


def current_worker() -> WorkerInfo:
    """This process's place among the server's workers (set in a worker as it starts)."""
    return _current


def serve_workers(
    settings: Settings, count: int, serve: Serve, *, prepare: Callable[[], None]
) -> int:
    """Runs `count` workers of `serve` on one socket until SIGTERM or SIGINT, after `prepare`
    (what two workers starting at once must not both do: migrations, loading the network) has
    run in a process of its own. Returns the parent's exit status: 0 after a clean stop."""
    sock = listen(settings.http_host, settings.http_port)
    log.info(
        "jiefen serve: %d workers on http://%s:%d", count, settings.http_host, sock.getsockname()[1]
    )
    _gather_spools(settings, count)
    # Signals wait for the supervisor's loop (sigtimedwait) instead of interrupting it; they
    # stay blocked until the process ends, so none arriving late can kill it mid-exit.
    signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    try:
        return _Supervisor(count, serve, sock).run(prepare)
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """The one listening socket the workers share. Forked children inherit it, so it is not
    made inheritable across exec (no program a worker runs gets the server's port)."""
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.create_server(address, family=family, backlog=BACKLOG)  # SO_REUSEADDR set
    return sock


def _gather_spools(settings: Settings, count: int) -> None:
    """Messages kept by a process this server no longer has (var/spool/ of a single-process
    server, worker-2/ when there are now two) move to worker 0, which replays them. The port
    is bound by now, so no server of the old layout is still writing there; spool file names
    are unique across processes and sort in arrival order."""
    base = settings.spool_dir
    kept = {f"worker-{i}" for i in range(count)}
    folders = [base, *(d for d in base.glob("worker-*") if d.is_dir() and d.name not in kept)]
    target = WorkerInfo(0, count).spool_dir(settings)
    moved = 0
    for folder in folders:
        for path in sorted(folder.glob(f"*{SPOOL_SUFFIX}")):
            target.mkdir(parents=True, exist_ok=True)
            path.rename(target / path.name)
            moved += 1
    if moved:
        log.warning("spool: %d message(s) kept by an earlier layout moved to %s", moved, target)


class _Supervisor:
    def __init__(self, count: int, serve: Serve, sock: socket.socket) -> None:
        self.count, self.serve, self.sock = count, serve, sock
        self.parent = os.getpid()
        self.children: dict[int, int] = {}  # pid -> worker index
        self.due: dict[int, float] = {}  # worker index -> when to start it again (monotonic)
        self.deaths: deque[float] = deque()
        self.stopping_since: float | None = None
        self.killed = False
        self.status = 0

    def run(self, prepare: Callable[[], None]) -> int:
        prepared = self._run_alone(prepare)
        if self.stopping_since is not None:
            return 0
        if prepared != 0:
            log.error("the start failed (%s): no worker started", _described(prepared))
            return 1
        for index in range(self.count):
            self._start(index)
        while self.children or self.due:
            self._start_due()
            signum = self._wait(self._timeout())
            if signum in _STOP:
                self._stop(signal.Signals(signum).name)
            self._reap()
            self._kill_stragglers()
        log.info("jiefen serve: all workers stopped")
        return self.status

    def _run_alone(self, target: Callable[[], None]) -> int:
        """Runs `target` in a child and waits for it; a stop signal is passed on to it."""
        pid = self._fork(target)
        while True:
            if self._wait(1.0) in _STOP and self.stopping_since is None:
                self.stopping_since = time.monotonic()
                _signal(pid, signal.SIGTERM)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if self.stopping_since and time.monotonic() > self.stopping_since + STOP_SECONDS:
                _signal(pid, signal.SIGKILL)

    def _start(self, index: int) -> None:
        pid = self._fork(functools.partial(self._work, index))
        self.children[pid] = index
        log.info("worker %d started (pid %d)", index, pid)

    def _work(self, index: int) -> None:
        """In the child: the ordinary server, on the shared socket."""
        global _current
        _current = WorkerInfo(index, self.count)
        self.serve(_current, [self.sock])

    def _fork(self, target: Callable[[], None]) -> int:
        pid = os.fork()
        if pid == 0:
            self._child(target)
        return pid

    def _child(self, target: Callable[[], None]) -> NoReturn:
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _WATCHED)
            _end_with_parent(self.parent)
            target()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except KeyboardInterrupt:
            code = 128 + signal.SIGINT
        except BaseException:
            log.exception("worker process %d failed", os.getpid())
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)  # never back into the parent's code (click, the supervisor)

    def _wait(self, timeout: float) -> int | None:
        info = signal.sigtimedwait(_WATCHED, max(timeout, 0.0))
        return None if info is None else info.si_signo

    def _timeout(self) -> float:
        moments = list(self.due.values())
        if self.stopping_since is not None and not self.killed:
            moments.append(self.stopping_since + STOP_SECONDS)
        now = time.monotonic()
        return min([1.0, *(moment - now for moment in moments)])  # 1 s: a lost SIGCHLD is ok

    def _start_due(self) -> None:
        now = time.monotonic()
        for index, when in list(self.due.items()):
            if when <= now:
                del self.due[index]
                self._start(index)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            index = self.children.pop(pid, None)
            if index is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self.stopping_since is None:
                self._died(index, pid, code)
            elif code not in (0, -signal.SIGTERM, -signal.SIGINT):  # uvicorn re-raises SIGTERM
                log.error("worker %d (pid %d) stopped badly (%s)", index, pid, _described(code))
                self.status = 1

    def _died(self, index: int, pid: int, code: int) -> None:
        now = time.monotonic()
        self.deaths.append(now)
        while now - self.deaths[0] > GIVE_UP_SECONDS:
            self.deaths.popleft()
        if len(self.deaths) >= GIVE_UP_DEATHS:
            log.error(
                "worker %d (pid %d) ended (%s): workers died %d times within %.0f s; stopping",
                index,
                pid,
                _described(code),
                len(self.deaths),
                GIVE_UP_SECONDS,
            )
            self.status = 1
            self._stop("they keep dying")
            return
        log.warning(
            "worker %d (pid %d) ended (%s); starting it again in %.0f s",
            index,
            pid,
            _described(code),
            RESTART_DELAY,
        )
        self.due[index] = now + RESTART_DELAY

    def _stop(self, why: str) -> None:
        """SIGTERM to every worker, whichever signal the parent got: a second SIGINT would
        make uvicorn skip its graceful shutdown, and a Ctrl-C in a terminal already gave the
        workers one."""
        if self.stopping_since is not None:
            return
        log.info("stopping %d worker(s) (%s)", len(self.children), why)
        self.stopping_since = time.monotonic()
        self.due.clear()
        for pid in self.children:
            _signal(pid, signal.SIGTERM)

    def _kill_stragglers(self) -> None:
        if self.stopping_since is None or self.killed or not self.children:
            return
        if time.monotonic() < self.stopping_since + STOP_SECONDS:
            return
        for pid, index in self.children.items():
            log.error(
                "worker %d (pid %d) not stopped after %.0f s: killed", index, pid, STOP_SECONDS
            )
            _signal(pid, signal.SIGKILL)
        self.killed = True
        self.status = 1


def _end_with_parent(parent: int) -> None:
    """A worker whose supervisor was killed (SIGKILL, OOM) gets SIGTERM (Linux), instead of
    serving on, unsupervised, on a port the next start then cannot bind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that took effect
        raise SystemExit(1)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _described(code: int) -> str:
    """An exit code from os.waitstatus_to_exitcode, in words."""
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
