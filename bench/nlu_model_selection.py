"""Model selection for the builtin NLU by cross-validation on the training data (`nlu/data`) ONLY.

    taskset -c 0 .venv/bin/python bench/nlu_model_selection.py [--repeats 3] [--only NAME ...]

No evaluation file is read: every number is out-of-fold on `nlu/data` (stratified 5-fold,
shuffled with seeds 0, 1, ... for each repeat; the same folds for every candidate). Each
candidate goes through the production pipeline (`nlu.builtin.training`): out-of-fold linear
margins -> temperature fitted on them -> decision rule with the intent threshold chosen on them.

Columns (means over the repeats; `±` is the spread, max - min, of the repeat means):
- `cat F1`: macro-F1 over the 16 dispute categories, on the dispute examples, of the top
  category of the classifier's ranking (what the bot names or offers first);
- `intent F1`: the macro-F1 over all 28 intents of the final decision (threshold, short-message
  rule, fallback counted as out_of_scope), i.e. `cv_macro_f1` of the training report;
- `false disp`: non-dispute examples decided as report_dispute (the total is printed below the
  table), as in the report;
- `long cat F1`, `long ok`: the second view, scored only on the validation examples longer than
  40 characters (n printed below the table; the models still train on every training-fold text):
  category macro-F1 of the ranking, and the share whose final decision is the right
  dispute_<category> (not a dialogue intent, not fallback, not another category);
- `fit s`: seconds for one repeat (5 fits + vectorising), on this machine.

The current production setting is the first row (`current`). jieba is only loaded for the
candidates that use it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.builtin.decision import (  # noqa: E402
    MIN_DISPUTE_CHARS,
    LabelSpace,
    Thresholds,
    decide,
    predicted_intent,
)
from nlu.builtin.features import char_ngrams, content_chars, normalize, segments  # noqa: E402
from nlu.builtin.model import softmax  # noqa: E402
from nlu.builtin.training import choose_thresholds, fit_temperature  # noqa: E402
from nlu.training_data import iter_labelled, load_training_data  # noqa: E402
from nlu.types import DISPUTE_INTENT_PREFIX  # noqa: E402

LONG_CHARS = 40
FOLDS = 5


@dataclass(frozen=True)
class Candidate:
    name: str
    ngram: tuple[int, int] = (1, 2)
    unit: str = "clause"  # "clause": n-grams of each `^clause$` (production); "text": of `^text$`
    sublinear: bool = True
    words: bool = False  # add jieba word unigrams + bigrams (per clause), a FeatureUnion
    clf: str = "svc"  # "svc" LinearSVC or "logreg" multinomial LogisticRegression
    c: float = 2.0
    balanced: bool = False  # class_weight="balanced"


CURRENT = Candidate("current")
CANDIDATES: list[Candidate] = [
    CURRENT,
    # one factor at a time
    replace(CURRENT, name="C=0.3", c=0.3),
    replace(CURRENT, name="C=1", c=1.0),
    replace(CURRENT, name="C=3", c=3.0),
    replace(CURRENT, name="char 1-3", ngram=(1, 3)),
    replace(CURRENT, name="char 2-4", ngram=(2, 4)),
    replace(CURRENT, name="tf not sublinear", sublinear=False),
    replace(CURRENT, name="class_weight balanced", balanced=True),
    replace(CURRENT, name="+ jieba words 1-2", words=True),
    replace(CURRENT, name="whole text 1-2", unit="text"),
    replace(CURRENT, name="whole text 1-3", unit="text", ngram=(1, 3)),
    replace(CURRENT, name="logreg C=10", clf="logreg", c=10.0),
    replace(CURRENT, name="logreg C=30", clf="logreg", c=30.0),
    replace(CURRENT, name="logreg C=100", clf="logreg", c=100.0),
    # combinations (added after the one-factor rows; see docs/benchmarks.md)
    replace(CURRENT, name="char 1-3, C=1", ngram=(1, 3), c=1.0),
    replace(CURRENT, name="char 1-3, C=3", ngram=(1, 3), c=3.0),
    replace(CURRENT, name="+ jieba words, C=1", words=True, c=1.0),
    replace(CURRENT, name="+ jieba words, balanced", words=True, balanced=True),
    replace(CURRENT, name="char 1-3, balanced", ngram=(1, 3), balanced=True),
    replace(CURRENT, name="logreg C=30 balanced", clf="logreg", c=30.0, balanced=True),
]


def whole_text_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Char n-grams of the whole normalised message framed as `^text$` (punctuation and one space
    per whitespace run kept), for the per-clause vs whole-text comparison."""
    body = " ".join(normalize(text).split())
    low, high = ngram_range
    terms: list[str] = list(body) if low <= 1 else []
    framed = f"^{body}$"
    for n in range(max(low, 2), min(high, len(framed)) + 1):
        terms.extend(framed[i:i + n] for i in range(len(framed) - n + 1))
    return terms


_JIEBA: Callable[[str], list[str]] | None = None


def jieba_terms(text: str) -> list[str]:
    """jieba words of each clause and the bigrams of neighbouring words (prefixed, so they never
    collide with character terms)."""
    global _JIEBA
    if _JIEBA is None:
        import jieba

        jieba.setLogLevel(60)
        _JIEBA = jieba.lcut
    terms: list[str] = []
    for seg in segments(text):
        words = _JIEBA(seg)
        terms.extend(f"w:{w}" for w in words)
        terms.extend(f"w:{a}|{b}" for a, b in itertools.pairwise(words))
    return terms


def _identity(terms: list[str]) -> list[str]:
    return terms


def term_lists(texts: list[str], cand: Candidate, memo: dict) -> list[list[list[str]]]:
    """One term list per feature block (char n-grams, then jieba words if asked) per text."""
    key = ("char", cand.unit, cand.ngram)
    if key not in memo:
        fn = char_ngrams if cand.unit == "clause" else whole_text_ngrams
        memo[key] = [fn(t, cand.ngram) for t in texts]
    blocks = [memo[key]]
    if cand.words:
        if "words" not in memo:
            memo["words"] = [jieba_terms(t) for t in texts]
        blocks.append(memo["words"])
    return blocks


def make_classifier(cand: Candidate, seed: int):
    weight = "balanced" if cand.balanced else None
    if cand.clf == "svc":
        return LinearSVC(C=cand.c, class_weight=weight, random_state=seed)
    return LogisticRegression(C=cand.c, class_weight=weight, max_iter=3000, random_state=seed)


def oof_margins(blocks, y: np.ndarray, cand: Candidate, seed: int) -> np.ndarray:
    """Out-of-fold decision_function; vectorisers (idf, vocabulary) are fitted per training fold.
    Several blocks are joined like sklearn's FeatureUnion (each block l2-normalised alone)."""
    n_labels = int(y.max()) + 1
    margins = np.zeros((len(y), n_labels))
    cv = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for train, test in cv.split(np.zeros(len(y)), y):
        parts_train, parts_test = [], []
        for terms in blocks:
            vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=cand.sublinear)
            parts_train.append(vec.fit_transform([terms[i] for i in train]))
            parts_test.append(vec.transform([terms[i] for i in test]))
        x_train = sparse.hstack(parts_train).tocsr()
        x_test = sparse.hstack(parts_test).tocsr()
        clf = make_classifier(cand, seed).fit(x_train, y[train])
        margins[test] = clf.decision_function(x_test)
    return margins


def score(texts, gold, labels, margins) -> dict[str, float]:
    space = LabelSpace(labels)
    y = np.array([labels.index(g) for g in gold])
    temperature = fit_temperature(margins, y)
    probs = softmax(margins / temperature)
    base = [
        decide(space, p, short=content_chars(t) < MIN_DISPUTE_CHARS, thresholds=Thresholds(0))
        for t, p in zip(texts, probs, strict=True)
    ]
    thresholds, cv = choose_thresholds(base, gold)
    final = [
        predicted_intent(d) if d.intent.confidence >= thresholds.intent else "out_of_scope"
        for d in base
    ]
    dispute = np.array([g.startswith(DISPUTE_INTENT_PREFIX) for g in gold])
    cats = [labels[i] for i in space.dispute_idx]
    top = np.array(cats)[np.argmax(margins[:, space.dispute_idx], axis=1)]
    gold_arr = np.array(gold)
    long = np.array([len(t) > LONG_CHARS for t in texts]) & dispute

    def cat_f1(mask: np.ndarray) -> float:
        return float(f1_score(gold_arr[mask], top[mask], labels=cats, average="macro",
                              zero_division=0))

    return {
        "cat_f1": cat_f1(dispute),
        "intent_f1": cv["cv_macro_f1"],
        "false_disputes": int(cv["cv_false_disputes"].split("/")[0]),
        "long_cat_f1": cat_f1(long),
        "long_ok": float(np.mean(np.array(final)[long] == gold_arr[long])),
        "threshold": thresholds.intent,
        "temperature": temperature,
        "n_long": int(long.sum()),
        "n_other": int((~dispute).sum()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--repeats", type=int, default=3, help="5-fold CV with seeds 0..N-1")
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    args = parser.parse_args(argv)

    pairs = list(iter_labelled(load_training_data(args.data_dir)))
    texts = [t for t, _ in pairs]
    gold = [i for _, i in pairs]
    labels = sorted(set(gold))
    y = np.array([labels.index(g) for g in gold])
    seeds = list(range(args.repeats))
    cands = [c for c in CANDIDATES if not args.only or c.name in args.only]
    memo: dict = {}

    cols = ["cat F1", "intent F1", "false disp", "long cat F1", "long ok", "fit s"]
    print(f"{len(texts)} training texts, {len(labels)} intents; stratified {FOLDS}-fold CV, "
          f"seeds {seeds}; long view: texts > {LONG_CHARS} chars")
    print("| candidate | " + " | ".join(cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    for cand in cands:
        started = time.perf_counter()
        blocks = term_lists(texts, cand, memo)
        runs = [score(texts, gold, labels, oof_margins(blocks, y, cand, s)) for s in seeds]
        seconds = (time.perf_counter() - started) / len(seeds)

        def cell(key: str, fmt: str = ".3f", runs=runs) -> str:
            values = [r[key] for r in runs]
            spread = max(values) - min(values)
            mean = sum(values) / len(values)
            if len(values) == 1 or math.isclose(spread, 0):
                return format(mean, fmt)
            return f"{mean:{fmt}} ±{spread:{fmt}}"

        row = [cell("cat_f1"), cell("intent_f1"), cell("false_disputes", ".1f"),
               cell("long_cat_f1"), cell("long_ok"), f"{seconds:.1f}"]
        print(f"| {cand.name} | " + " | ".join(row) + " |", flush=True)
    print(f"(false disp out of {runs[0]['n_other']} non-dispute texts; long view n = "
          f"{runs[0]['n_long']})")


if __name__ == "__main__":
    main()
