"""The server process of bench/wechat_bench.py: `jiefen serve` itself (same app, channels,
logging and uvicorn settings, taken from jiefen.cli), with two bench-only additions:

- POST /wechat-echo, in the same app: checks the signature and the timestamp, reads the XML and
  echoes the text as a passive reply: the ceiling of the HTTP stack and the WeChat envelope,
  without dialogue, NLU or database;
- a listening socket with SO_REUSEPORT, so several of these processes on one port are workers
  that the kernel shares connections between.

At exit it logs its garbage-collector pauses (a line starting with BENCH-GC) and, with
--profile, writes cProfile statistics. Settings come from the JIEFEN_* environment.

    python bench/wechat_server.py --port 8090 [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402
from wechatpy.exceptions import InvalidSignatureException  # noqa: E402
from wechatpy.utils import check_signature  # noqa: E402

import jiefen.server  # noqa: E402
from bot.channels.wechat import MAX_CLOCK_SKEW  # noqa: E402
from bot.channels.wechat_render import BadXml, parse_xml, text_reply_xml  # noqa: E402
from jiefen.cli import main as jiefen_cli  # noqa: E402
from jiefen.settings import load_settings  # noqa: E402

ECHO_PATH = "/wechat-echo"


def echo_route(token: str) -> Route:
    async def echo(request: Request) -> Response:
        query = request.query_params
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        try:
            check_signature(token, query.get("signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            return PlainTextResponse("bad signature", status_code=403)
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
            return PlainTextResponse("stale request", status_code=403)
        try:
            fields = parse_xml(await request.body())
        except BadXml:
            return PlainTextResponse("bad message", status_code=400)
        xml = text_reply_xml(
            fields.get("FromUserName", ""),
            fields.get("ToUserName", ""),
            fields.get("Content", ""),
            int(time.time()),
        )
        return Response(xml, media_type="application/xml")

    return Route(ECHO_PATH, echo, methods=["POST"])


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Timings:
    """Seconds from a request reaching the app to its response sent, per bench phase (the
    load generator names it in an X-Bench-Phase header)."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def wrap(self, app: Any) -> Any:
        async def timed(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return await app(scope, receive, send)
            LAG.ensure_running()
            started = time.perf_counter()
            try:
                await app(scope, receive, send)
            finally:
                elapsed = time.perf_counter() - started
                phase = dict(scope["headers"]).get(b"x-bench-phase", b"").decode()
                self.seconds.setdefault(phase or scope["path"], []).append(elapsed)

        return timed

    def report(self) -> dict[str, Any]:
        out = {}
        for phase, values in self.seconds.items():
            ordered = sorted(values)
            p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.99))
            out[phase] = {"n": len(ordered), "p50_ms": round(p50 * 1000, 1),
                          "p99_ms": round(p99 * 1000, 1)}
        return out


class LoopLag:
    """How late the event loop wakes a 20 ms sleeper: a loop blocked by one callback (or a GC
    pause) shows here, not in the other figures."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.02)
            self.lags.append(time.perf_counter() - before - 0.02)

    def report(self) -> dict[str, Any]:
        ordered = sorted(self.lags) or [0.0]
        return {
            "samples": len(self.lags),
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
            "over_100_ms": sum(1 for lag in ordered if lag > 0.1),
        }


TIMINGS, LAG = Timings(), LoopLag()


def add_bench_parts(host: str, port: int, token: str) -> None:
    """The echo route in the app `jiefen serve` builds, and the shared port for uvicorn."""
    build_web_app = jiefen.server.create_web_app

    def with_echo(*args: Any, **kwargs: Any) -> Starlette:
        web = build_web_app(*args, **kwargs)
        web.router.routes.append(echo_route(token))
        web.add_middleware(lambda app: TIMINGS.wrap(app))  # type: ignore[arg-type]
        return web

    jiefen.server.create_web_app = with_echo  # type: ignore[assignment]
    serve = uvicorn.Server.serve

    async def serve_on_shared_port(self: uvicorn.Server, sockets: Any = None) -> None:
        await serve(self, sockets=sockets or [listening_socket(host, port)])

    uvicorn.Server.serve = serve_on_shared_port  # type: ignore[method-assign]


class GcPauses:
    """How long the garbage collector stopped the process, per generation."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self.started)

    def report(self) -> str:
        return json.dumps({
            str(gen): {"n": len(p), "total_ms": round(sum(p) * 1000, 1),
                       "max_ms": round(max(p, default=0) * 1000, 1)}
            for gen, p in self.pauses.items()
        })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here on exit")
    args = parser.parse_args()

    add_bench_parts(args.host, args.port, load_settings().wechat_token)

    # uvicorn raises SIGTERM again once it has shut down; this handler lets the process end
    # normally then (and report) instead of dying of it.
    signal.signal(signal.SIGTERM, lambda *_: None)
    pauses = GcPauses()
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    try:
        jiefen_cli(["serve"], standalone_mode=False)
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        print("BENCH-GC", pauses.report(), flush=True)
        print("BENCH-TIMINGS", json.dumps(TIMINGS.report()), flush=True)
        print("BENCH-LOOP-LAG", json.dumps(LAG.report()), flush=True)


if __name__ == "__main__":
    main()
