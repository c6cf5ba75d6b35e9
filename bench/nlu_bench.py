"""NLU benchmark: macro-F1 and latency of the builtin model (and Rasa, when a server is given)
on our held-out split and on the shared legal-questions evaluation set.

    taskset -c 0 .venv/bin/python bench/nlu_bench.py [--rasa-url URL --rasa-token TOKEN]

The shared set (../shared/benchmarks/legal_questions_zh/eval.jsonl) is evaluation data only:
nothing here trains or tunes on it. Prints a Markdown table for docs/benchmarks.md. While
working on the model, use `--own-only`: it scores our own held-out files and never opens the
shared set, so development decisions cannot lean on it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.org_network import load_network  # noqa: E402
from nlu.annotate import Annotator  # noqa: E402
from nlu.builtin import BuiltinNlu  # noqa: E402
from nlu.evaluation import evaluate, read_jsonl  # noqa: E402
from nlu.gazetteer import Gazetteer  # noqa: E402
from nlu.rasa_backend import from_rasa  # noqa: E402
from nlu.types import ParseResult  # noqa: E402

HELD_OUT = [ROOT / "bench" / "data" / name for name in
            ("heldout_part1.jsonl", "heldout_part2.jsonl", "heldout_questions.jsonl",
             "heldout_consult.jsonl")]
HELD_OUT_INTENTS = ROOT / "bench" / "data" / "heldout_intents.jsonl"
SHARED = ROOT.parent / "shared" / "benchmarks" / "legal_questions_zh" / "eval.jsonl"
CACHE = ROOT / "var" / "nlu-cache"

LOAD_PROBE = """
import resource, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from nlu.builtin import BuiltinNlu
from pathlib import Path
BuiltinNlu.load(Path({data!r}), Path({cache!r}))
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _items(paths: list[Path]) -> list[tuple[str, str]]:
    return [item for path in paths if path.exists() for item in read_jsonl(path)]


def builtin_load_figures() -> tuple[float, float]:
    """Seconds and peak MiB of a fresh process loading the cached model."""
    probe = LOAD_PROBE.format(root=str(ROOT), data=str(ROOT / "nlu" / "data"), cache=str(CACHE))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def rasa_parser(url: str, token: str) -> Callable[[str], ParseResult]:
    client = httpx.Client(timeout=30)
    annotator = Annotator()

    def parse(text: str) -> ParseResult:
        response = client.post(url.rstrip("/") + "/model/parse", params={"token": token},
                               json={"text": text})
        response.raise_for_status()
        return from_rasa(response.json(), annotator, text)

    return parse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-url")
    parser.add_argument("--rasa-token", default="")
    parser.add_argument("--json", action="store_true", help="print the raw reports as JSON")
    parser.add_argument("--own-only", action="store_true",
                        help="score our own held-out files only; do not open the shared set")
    args = parser.parse_args()

    gazetteer = Gazetteer(load_network(ROOT / "config" / "organizations.yaml").gazetteer_entries())
    builtin = BuiltinNlu.load(ROOT / "nlu" / "data", CACHE, gazetteer=gazetteer)
    backends: dict[str, Callable[[str], ParseResult]] = {"builtin": builtin.parse_sync}
    if args.rasa_url:
        backends["rasa"] = rasa_parser(args.rasa_url, args.rasa_token)

    sets = {
        "held-out categories": _items(HELD_OUT),
        "held-out dialogue intents": _items([HELD_OUT_INTENTS]),
    }
    if not args.own_only:
        sets["shared legal_questions_zh eval.jsonl"] = _items([SHARED])
    reports: dict[str, dict[str, dict]] = {}
    for backend, parse in backends.items():
        for name, items in sets.items():
            if items:
                reports.setdefault(backend, {})[name] = evaluate(parse, items)
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
        return
    print("| backend | data set | n | accuracy | macro-F1 | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for backend, by_set in reports.items():
        for name, r in by_set.items():
            print(f"| {backend} | {name} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} "
                  f"| {r['latency_ms']['p50']:.2f} | {r['latency_ms']['p99']:.2f} |")
    seconds, mib = builtin_load_figures()
    print(f"\nbuiltin: load from cache in a fresh process {seconds:.2f} s, peak RSS {mib:.0f} MiB;"
          f" this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          f" MiB; measured {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
