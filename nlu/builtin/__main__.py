"""`python -m nlu.builtin [--retrain] [EVAL.jsonl ...]`: load (or train) the builtin model, print
how it was trained and, for each labelled file, the `nlu.evaluation` report, as JSON."""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from nlu.builtin.backend import BuiltinNlu
from nlu.evaluation import evaluate, read_jsonl

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nlu.builtin", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help='JSONL with {"text", "label"}')
    parser.add_argument("--data-dir", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "var" / "nlu-cache")
    parser.add_argument("--retrain", action="store_true", help="ignore the cache")
    parser.add_argument("--details", action="store_true", help="per-label scores, confusion")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    started = time.perf_counter()
    if args.retrain:
        nlu = BuiltinNlu.train(args.data_dir, args.cache_dir)
    else:
        nlu = BuiltinNlu.load(args.data_dir, args.cache_dir)
    output = {"load_seconds": round(time.perf_counter() - started, 3),
              "loaded_from_cache": nlu.loaded_from_cache, "report": nlu.report}
    for path in args.files:
        result = evaluate(nlu.parse_sync, read_jsonl(path))
        if not args.details:
            result = {k: v for k, v in result.items() if k not in ("per_label", "confusion")}
        output[str(path)] = result
    print(json.dumps(output, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
