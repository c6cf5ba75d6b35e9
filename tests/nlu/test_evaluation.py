from __future__ import annotations

from pathlib import Path

import pytest

from nlu.evaluation import evaluate, read_jsonl
from nlu.types import ParseResult, Ranked

# text -> (intent, category) the fake backend answers
ANSWERS = {
    "a": ("report_dispute", "labour"),
    "b": ("report_dispute", "debt_contract"),
    "c": ("report_dispute", "debt_contract"),
    "d": ("greet", "other"),
    "e": ("nlu_fallback", "other"),
    "f": ("report_dispute", "neighbour"),
}
ITEMS = [
    ("a", "labour"),
    ("b", "labour"),
    ("c", "debt_contract"),
    ("d", "greet"),
    ("e", "out_of_scope"),
    ("f", "greet"),
]


def fake_parse(text: str) -> ParseResult:
    intent, category = ANSWERS[text]
    return ParseResult(intent=Ranked(intent, 0.9), category=Ranked(category, 0.9))


def test_metrics_match_hand_computation() -> None:
    report = evaluate(fake_parse, ITEMS)
    assert set(report) == {"n", "accuracy", "macro_f1", "per_label", "confusion", "latency_ms"}
    assert report["n"] == 6
    # Right: a, c, d, e (nlu_fallback counts as out_of_scope). f is scored by its intent.
    assert report["accuracy"] == pytest.approx(4 / 6)
    per = report["per_label"]
    assert per["labour"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert per["debt_contract"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert per["greet"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert per["out_of_scope"]["f1"] == 1.0
    # Predicted but never gold: listed, support 0, not part of the macro average.
    assert per["report_dispute"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["macro_f1"] == pytest.approx((2 / 3 * 3 + 1) / 4)
    assert report["confusion"] == {
        "labour": {"labour": 1, "debt_contract": 1},
        "debt_contract": {"debt_contract": 1},
        "greet": {"greet": 1, "report_dispute": 1},
        "out_of_scope": {"out_of_scope": 1},
    }
    latency = report["latency_ms"]
    assert set(latency) == {"p50", "p99"}
    assert 0.0 <= latency["p50"] <= latency["p99"]


def test_category_gold_uses_category_even_when_not_a_dispute() -> None:
    report = evaluate(fake_parse, [("d", "other"), ("e", "labour")])
    assert report["confusion"] == {"other": {"other": 1}, "labour": {"other": 1}}
    assert report["accuracy"] == 0.5
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ValueError):
        evaluate(fake_parse, [])


def test_read_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"text": "老板欠薪", "label": "labour", "extra": 1}\n\n'
        '{"text": "你好", "label": "greet"}\n',
        encoding="utf-8",
    )
    assert read_jsonl(path) == [("老板欠薪", "labour"), ("你好", "greet")]
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"items\.jsonl:1"):
        read_jsonl(path)
