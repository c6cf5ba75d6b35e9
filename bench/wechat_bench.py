"""WeChat channel benchmark: signed text messages from many simulated users on loopback through
the whole pipeline (signature, XML, dedup claim, NLU, dialogue, PostgreSQL, passive reply),
and the same load against a trivial echo route in the same server (the ceiling).

    .venv/bin/python bench/wechat_bench.py [--users 200] [--seconds 30] [--rate 200]
        [--workers 1 2] [--server-cpus 1 --client-cpus 0]

Phases, each after its own warm-up: `echo` (flat out against /wechat-echo: checks the
signature, reads the XML, echoes the text), `full` (flat out against /wechat: the sustained
capacity) and `paced` (/wechat with the users together offering --rate messages a second: the
latency a resident sees at that load).

It creates a throwaway database on the PostgreSQL server (--pg-url, as the tests do), starts
bench/wechat_server.py (what `jiefen serve` runs, plus /wechat-echo) as separate processes with
JIEFEN_* settings, points the WeChat API at a local fake (nothing leaves the machine), and at
the end stops the servers and drops the database, Ctrl-C included. Every reply is checked (a
passive reply XML to that user, not an apology; each intake ends with a case number) and the
database must hold exactly one claim per MsgId sent. Prints a Markdown table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.crypto import new_fernet_key  # noqa: E402
from bench.wechat_load import LoadRun, LoadSpec, Tally, latency_ms, percentile  # noqa: E402
from bench.wechat_procs import (  # noqa: E402
    CpuMeter,
    Servers,
    connections_opened,
    database_url,
    free_port,
    rss_mib,
    throwaway_database,
    verify_database,
)
from bot.i18n import Texts  # noqa: E402
from tests.fakes.wechat_api import FakeWeChatApi  # noqa: E402
from tests.servers import serving  # noqa: E402

SERVER = ROOT / "bench" / "wechat_server.py"
TOKEN, APP_ID, APP_SECRET = "bench-token", "wx-bench-app", "bench-secret"
PHASES = ("echo", "full", "paced")


@dataclass
class Result:
    workers: int
    users: int
    phases: dict[str, dict[str, Any]]
    database: dict[str, int]
    memory_mib: list[dict[str, float]]  # per server process
    gc_pauses: list[dict[str, Any]]  # per server process and generation
    server_timings: dict[str, Any]  # request in to response out, inside the server
    loop_lag: list[dict[str, Any]]  # per server process, over its whole run
    sent_by_customer_service: int  # late replies (after the 4 s reply deadline)
    load_before: list[float]
    load_after: list[float]


def summary(spec: LoadSpec, tally: Tally, cpu: dict[str, float]) -> dict[str, Any]:
    return {
        "offered_msg_per_s": spec.rate or None,
        "messages": len(tally.latencies),
        "seconds": round(tally.seconds, 1),
        "msg_per_s": round(tally.rate, 1),
        "latency_ms": {k: round(v, 1) for k, v in latency_ms(tally).items()},
        "latency_ms_by_turn": {
            turn: {
                "n": len(values),
                "p50": round(percentile(values, 50) * 1000, 1),
                "p99": round(percentile(values, 99) * 1000, 1),
            }
            for turn, values in sorted(tally.by_turn.items())
        },
        "errors": dict(tally.errors),
        "late": tally.late,
        "retries": tally.retries,
        "conversations_done": tally.conversations_done,
        "conversations_off_script": tally.conversations_off_script,
        "cpu_cores": cpu,
        "server_cpu_ms_per_msg": round(cpu["server"] / max(tally.rate, 1e-9) * 1000, 2),
    }


def server_env(args: argparse.Namespace, db: str, var_dir: str, api_base: str) -> dict[str, str]:
    """What `jiefen serve` reads: this environment without any JIEFEN_* of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")} | {
        "JIEFEN_DATABASE_URL": database_url(args.pg_url, db, "postgresql+asyncpg"),
        "JIEFEN_VAR_DIR": var_dir,
        "JIEFEN_SECRET_KEY": new_fernet_key(),
        "JIEFEN_NLU_CACHE": str(ROOT / "var" / "nlu-cache"),
        "JIEFEN_WECHAT_TOKEN": TOKEN,
        "JIEFEN_WECHAT_APP_ID": APP_ID,
        "JIEFEN_WECHAT_APP_SECRET": APP_SECRET,
        "JIEFEN_WECHAT_API_BASE": api_base,
    }


async def bench(args: argparse.Namespace, workers: int) -> Result:
    load_before = [round(x, 2) for x in os.getloadavg()]
    api = FakeWeChatApi(app_id=APP_ID, app_secret=APP_SECRET)
    error_text = Texts(ROOT / "config" / "locales").for_locale("zh")("error.generic")
    msg_ids = itertools.count(int(time.time()) * 1_000_000)
    servers, memory = Servers(), list[dict[str, float]]()
    phases: dict[str, dict[str, Any]] = {}
    sent: list[int] = []
    with tempfile.TemporaryDirectory(prefix="jiefen-bench-") as tmp:
        async with throwaway_database(args.pg_url) as db, serving(api.asgi()) as api_base:
            env, port = server_env(args, db, tmp, api_base), free_port()
            try:
                for n in range(workers):
                    command = [sys.executable, str(SERVER), "--port", str(port)]
                    if args.profile:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        command += ["--profile", str(args.profile / f"w{workers}-{n}.prof")]
                    servers.start(command, env, Path(tmp) / f"server-{n}.log", args.server_cpus)
                    await servers.wait_started()
                if args.client_cpus:
                    os.sched_setaffinity(0, args.client_cpus)
                for phase in args.phases:
                    spec = LoadSpec(
                        "127.0.0.1", port, "/wechat-echo" if phase == "echo" else "/wechat",
                        TOKEN, args.users, args.seconds,
                        rate=args.rate if phase == "paced" else 0,
                        echo=phase == "echo",
                        retry_every=0 if phase == "echo" else args.retry_every,
                        error_text=error_text, tag=f"w{workers}-{phase}", phase=phase,
                        client=args.client,
                    )
                    meter, opened = CpuMeter([p.pid for p in servers.procs]), [0]

                    async def window(
                        phase: str = phase, meter: CpuMeter = meter, opened: list[int] = opened
                    ) -> None:
                        if phase != "echo" and not memory:
                            memory.extend(
                                {"after_warmup": rss_mib(p.pid)[0]} for p in servers.procs
                            )
                        opened[0] = await connections_opened(args.pg_url, db)
                        meter.start()

                    tally = await LoadRun(spec, msg_ids).run(args.warmup, window)
                    phases[phase] = summary(spec, tally, meter.stop())
                    phases[phase]["postgres_connections_opened"] = (
                        await connections_opened(args.pg_url, db) - opened[0]
                    )
                    if phase != "echo":
                        sent += tally.sent_ids
                for reading, proc in zip(memory, servers.procs, strict=False):
                    reading["end"], reading["peak"] = rss_mib(proc.pid)
            finally:
                await asyncio.shield(servers.stop())
            reports = servers.reports()
            database = await verify_database(database_url(args.pg_url, db, "postgresql"), sent)
    return Result(
        workers, args.users, phases, database,
        [{k: round(v) for k, v in m.items()} for m in memory],
        [r.get("BENCH-GC", {}) for r in reports], merge_timings(reports),
        [r.get("BENCH-LOOP-LAG", {}) for r in reports], len(api.custom),
        load_before, [round(x, 2) for x in os.getloadavg()],
    )


def merge_timings(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Server-side handling time per phase (the worst worker's, when several)."""
    merged: dict[str, Any] = {}
    for report in reports:
        for phase, t in report.get("BENCH-TIMINGS", {}).items():
            if phase not in merged or t["p99_ms"] > merged[phase]["p99_ms"]:
                merged[phase] = t
    return merged


# --- the report ---------------------------------------------------------------------------


PHASE_NAMES = {"echo": "echo (ceiling), flat out", "full": "full pipeline, flat out",
               "paced": "full pipeline, {rate:.0f} msg/s offered"}


def table(results: list[Result]) -> str:
    lines = [
        "| workers | load (users) | msg/s | p50 ms | p95 ms | p99 ms | max ms | errors / late "
        "| server CPU ms/msg |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for name, p in r.phases.items():
            load = PHASE_NAMES[name].format(rate=p["offered_msg_per_s"] or 0)
            ms = p["latency_ms"]
            lines.append(
                f"| {r.workers} | {load} ({r.users}) | {p['msg_per_s']:.0f} | {ms['p50']:.1f} "
                f"| {ms['p95']:.1f} | {ms['p99']:.1f} | {ms['max']:.0f} "
                f"| {sum(p['errors'].values())} / {p['late']} | {p['server_cpu_ms_per_msg']:.2f} |"
            )
    lines += [
        "",
        "| workers | full / echo | MsgIds sent | lost | claimed twice | cases stored "
        "| server RSS MiB after warm-up / end / peak |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        ratio = "-"
        if "echo" in r.phases and "full" in r.phases:
            ratio = f"{r.phases['full']['msg_per_s'] / r.phases['echo']['msg_per_s']:.3f}"
        db = r.database
        # lost: sent but never claimed, or answered "success" and never sent afterwards
        late = sum(p["late"] for name, p in r.phases.items() if name != "echo")
        lost = db["missing"] + max(late - r.sent_by_customer_service, 0)
        rss = "; ".join(f"{m.get('after_warmup')} / {m.get('end')} / {m.get('peak')}"
                        for m in r.memory_mib)
        lines.append(f"| {r.workers} | {ratio} | {db['sent']} | {lost} "
                     f"| {db['claimed_twice']} | {db['cases']} | {rss} |")
    return "\n".join(lines)


def details(r: Result) -> str:
    lines = [f"{r.workers} worker(s):"]
    for name, p in r.phases.items():
        lines.append(
            f"  {name}: {p['messages']} messages in {p['seconds']} s; intakes finished "
            f"{p['conversations_done']} (off script {p['conversations_off_script']}); errors "
            f"{p['errors'] or 0}; late {p['late']}; retried copies {p['retries']}; PostgreSQL "
            f"connections opened {p['postgres_connections_opened']}; CPU cores "
            + ", ".join(f"{k} {v}" for k, v in p["cpu_cores"].items())
            + "; latency by turn: "
            + ", ".join(
                f"{turn} (n {t['n']}) p50 {t['p50']} ms p99 {t['p99']} ms"
                for turn, t in p["latency_ms_by_turn"].items()
            )
        )
    db = r.database
    lines.append(
        f"  database: {db['sent']} MsgIds sent (warm-ups included), {db['claimed']} claimed, "
        f"{db['missing']} missing, {db['unexpected']} unexpected, {db['claimed_twice']} claimed "
        f"twice, {db['cases']} cases; replies sent late by customer service: "
        f"{r.sent_by_customer_service}"
    )
    lines.append("  inside the server (request in to response out): " + "; ".join(
        f"{k}: p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms"
        for k, v in r.server_timings.items() if k != "warm-up"
    ))
    lines.append("  server GC pauses (generation: count, total ms, max ms): " + "; ".join(
        ", ".join(f"{g}: {v['n']}, {v['total_ms']}, {v['max_ms']}" for g, v in w.items())
        for w in r.gc_pauses
    ))
    lines.append("  server event-loop lag over the whole run: " + "; ".join(
        f"p50 {w.get('p50_ms')} ms, p99 {w.get('p99_ms')} ms, max {w.get('max_ms')} ms, "
        f"{w.get('over_100_ms')} stalls over 100 ms" for w in r.loop_lag
    ))
    lines.append(f"  load average before {r.load_before}, after {r.load_after}")
    return "\n".join(lines)


def cpu_set(text: str) -> set[int]:
    return {int(c) for c in text.split(",")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="WeChat channel throughput and latency against PostgreSQL "
        "(docs/benchmarks.md)."
    )
    parser.add_argument("--users", type=int, default=200, help="simulated users talking at once")
    parser.add_argument("--seconds", type=float, default=30, help="measured window per phase")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first")
    parser.add_argument("--rate", type=float, default=200, help="msg/s offered in `paced`")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="server processes sharing the port (one run per number given)")
    parser.add_argument("--server-cpus", type=cpu_set, default=None,
                        help="pin the server processes, e.g. 1 (default: not pinned)")
    parser.add_argument("--client-cpus", type=cpu_set, default=None,
                        help="pin this load generator, e.g. 0 (default: not pinned)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="HTTP client of the simulated users")
    parser.add_argument("--retry-every", type=int, default=0,
                        help="re-post every Nth message with the same MsgId, as WeChat retries")
    parser.add_argument("--pg-url", default=os.environ.get(
        "JIEFEN_TEST_PG_URL", "postgresql://127.0.0.1:5432/test"),
        help="an existing database to connect to for CREATE/DROP DATABASE")
    parser.add_argument("--profile", type=Path, help="cProfile the servers into this folder")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args()

    # Ctrl-C, or SIGTERM, even when started in the background: the running configuration's
    # servers are stopped and its database dropped before the bench exits.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        results = [asyncio.run(bench(args, workers)) for workers in args.workers]
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped, database dropped")
    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=2))
        return
    print(table(results))
    for r in results:
        print("\n" + details(r))
    print(f"\nmeasured {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"client {args.client}, server CPUs {sorted(args.server_cpus or []) or 'any'}, "
          f"client CPUs {sorted(args.client_cpus or []) or 'any'}")


if __name__ == "__main__":
    main()
