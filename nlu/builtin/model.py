"""The trained model in plain numpy: what the cache holds and what `parse` runs.

Why not pickle the scikit-learn pipeline: importing scikit-learn alone takes about a second,
which would blow the "load from cache under 1 s" budget. Training exports the fitted TF-IDF
vocabulary, idf weights and linear coefficients; scoring one message is then a dictionary
lookup per n-gram and a small dot product (tens of microseconds). The export is checked
against scikit-learn's own output at training time (`nlu.builtin.training`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nlu.builtin.decision import MIN_DISPUTE_CHARS, Decision, LabelSpace, Thresholds, decide
from nlu.builtin.features import char_ngrams, content_chars


@dataclass
class LinearTextModel:
    """Sublinear TF-IDF (l2-normalised) over character n-grams, then a linear scorer whose
    margins, divided by `temperature`, go through a softmax to give calibrated probabilities."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_features, n_labels): rows, so one message reads a few contiguous rows
    intercept: np.ndarray  # (n_labels,)
    ngram_range: tuple[int, int]
    temperature: float = 1.0

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, tf-idf values) of `text`; matches TfidfVectorizer(sublinear_tf=True)."""
        counts = Counter(
            j for j in map(self.vocabulary.get, char_ngrams(text, self.ngram_range))
            if j is not None
        )
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64,
                         count=len(counts))
        values = tf * self.idf[idx]
        values /= np.sqrt(values @ values)
        return idx, values

    def margins(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        return self.intercept + values @ self.coef[idx]

    def decision_function(self, text: str) -> np.ndarray:
        return self.margins(*self.features(text))

    def predict_proba(self, text: str) -> np.ndarray:
        return softmax(self.decision_function(text) / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a vector or a matrix."""
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass
class BuiltinModel:
    """Everything the cache stores: the scorer, the decision thresholds and how they were set."""

    scorer: LinearTextModel
    thresholds: Thresholds
    min_dispute_chars: int = MIN_DISPUTE_CHARS
    report: dict[str, Any] = field(default_factory=dict)  # CV metrics, sizes, versions

    def __post_init__(self) -> None:
        self.space = LabelSpace(self.scorer.labels)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("space", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    def decide(self, text: str) -> Decision:
        """A message with no n-gram the model knows (\"asdf\", emoji) gets only the priors, which
        favour the many dispute classes: like a very short one, it is never a dispute."""
        idx, values = self.scorer.features(text)
        probs = softmax(self.scorer.margins(idx, values) / self.scorer.temperature)
        short = len(idx) == 0 or content_chars(text) < self.min_dispute_chars
        return decide(self.space, probs, short=short, thresholds=self.thresholds)
