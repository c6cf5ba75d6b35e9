"""Scores any NLU backend on labelled texts (held-out splits, benchmarks): one report format for
the builtin model, Rasa and whatever comes next.

Scoring rules:
- gold labels are bare category keys (`labour`) or dialogue intent names (`greet`); a text with a
  category gold is scored by the parse's `category.name`, any other by its `intent.name`;
- `nlu_fallback` ("not sure") counts as `out_of_scope`, as the dialogue treats both alike;
- `macro_f1` averages F1 over the labels present in the gold data, so a class the data set does
  not contain cannot score 0 and drag the mean down just because it was predicted; its false
  positives still cost the gold classes recall. `per_label` also lists predicted-only labels.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from nlu.types import CATEGORIES, ParseResult

INTENT_ALIASES: Mapping[str, str] = {"nlu_fallback": "out_of_scope"}


def predicted_label(result: ParseResult, gold: str) -> str:
    if gold in CATEGORIES:
        return result.category.name
    return INTENT_ALIASES.get(result.intent.name, result.intent.name)


def evaluate(
    backend_parse: Callable[[str], ParseResult], items: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """Parses every text once, timing each call; returns n, accuracy, macro_f1, per_label,
    confusion ({gold: {pred: count}}) and latency_ms (p50, p99)."""
    gold: list[str] = []
    pred: list[str] = []
    latencies: list[float] = []
    for text, label in items:
        started = time.perf_counter()
        result = backend_parse(text)
        latencies.append((time.perf_counter() - started) * 1000)
        gold.append(label)
        pred.append(predicted_label(result, label))
    if not gold:
        raise ValueError("nothing to evaluate")

    gold_labels = sorted(set(gold))
    all_labels = sorted(set(gold) | set(pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=all_labels, zero_division=0
    )
    confusion: dict[str, dict[str, int]] = {}
    for (g, p), count in sorted(Counter(zip(gold, pred, strict=True)).items()):
        confusion.setdefault(g, {})[p] = count
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(
            f1_score(gold, pred, labels=gold_labels, average="macro", zero_division=0)
        ),
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(all_labels)
        },
        "confusion": confusion,
        "latency_ms": {
            "p50": float(np.percentile(latencies, 50)),
            "p99": float(np.percentile(latencies, 99)),
        },
    }


def read_jsonl(path: Path | str) -> list[tuple[str, str]]:
    """`{"text", "label"}` lines (other keys ignored) as (text, label) pairs."""
    items: list[tuple[str, str]] = []
    with Path(path).open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                items.append((str(row["text"]), str(row["label"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: expected text and label: {exc}") from exc
    return items
