"""Turns class probabilities into (intent, category, ranking): one function, used both at parse
time and when choosing thresholds by cross-validation, so the thresholds fit the real rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.types import DISPUTE_INTENT_PREFIX, Ranked

REPORT_DISPUTE = "report_dispute"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"  # Rasa's name for "not confident enough to say"
OTHER = "other"
RANKING_SIZE = 5
# Messages with fewer meaningful characters (Han or Latin letters) than this are never disputes:
# "你好", "嗯", "2", "👍" carry no account of a dispute, whatever the classifier thinks.
MIN_DISPUTE_CHARS = 3


@dataclass(frozen=True)
class Thresholds:
    """`intent`: minimum calibrated probability of the winning intent (report_dispute counts the
    summed probability of every dispute_* class); below it the intent is `nlu_fallback`."""

    intent: float = 0.4


@dataclass(frozen=True)
class Decision:
    intent: Ranked
    category: Ranked
    ranking: tuple[Ranked, ...]


class LabelSpace:
    """Index bookkeeping for the classifier's labels: dialogue intents vs dispute_* classes."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = tuple(labels)
        self.dispute_idx = np.array(
            [i for i, name in enumerate(self.labels) if name.startswith(DISPUTE_INTENT_PREFIX)],
            dtype=np.intp,
        )
        self.categories = tuple(
            self.labels[i][len(DISPUTE_INTENT_PREFIX):] for i in self.dispute_idx
        )
        self.dialogue_idx = np.array(
            [i for i, name in enumerate(self.labels) if not name.startswith(DISPUTE_INTENT_PREFIX)],
            dtype=np.intp,
        )
        self.dialogue = tuple(self.labels[i] for i in self.dialogue_idx)


def decide(
    space: LabelSpace, probs: np.ndarray, *, short: bool, thresholds: Thresholds
) -> Decision:
    """`probs` are calibrated probabilities over `space.labels` (summing to 1).

    All dispute_* classes together form the `report_dispute` intent, so a dispute whose mass is
    split over two categories still beats a lone `greet`. The category ranking is always
    returned (renormalised over dispute classes) so the dialogue can offer a menu, but the
    category itself is only named when the intent is report_dispute; otherwise it is `other`
    with confidence 0.
    """
    dispute_probs = probs[space.dispute_idx]
    dispute_mass = float(dispute_probs.sum())
    if dispute_mass > 0:
        within = dispute_probs / dispute_mass
    else:
        within = np.full(len(space.dispute_idx), 1.0 / max(len(space.dispute_idx), 1))
    order = np.argsort(-within, kind="stable")
    ranking = tuple(
        Ranked(space.categories[i], round(float(within[i]), 4)) for i in order[:RANKING_SIZE]
    )

    names = list(space.dialogue)
    scores = [float(p) for p in probs[space.dialogue_idx]]
    if not short and len(space.dispute_idx):
        names.append(REPORT_DISPUTE)
        scores.append(dispute_mass)
    total = sum(scores)
    if not names or total <= 0:
        return Decision(Ranked(FALLBACK, 0.0), Ranked(OTHER, 0.0), ranking)
    best = max(range(len(names)), key=scores.__getitem__)
    confidence = scores[best] / total  # renormalised when short messages exclude disputes
    name = names[best] if confidence >= thresholds.intent else FALLBACK
    intent = Ranked(name, round(confidence, 4))
    if name == REPORT_DISPUTE:
        return Decision(intent, ranking[0], ranking)
    return Decision(intent, Ranked(OTHER, 0.0), ranking)


def predicted_intent(decision: Decision) -> str:
    """The decision as a training-data intent name (dispute_<category>, or the dialogue intent
    with nlu_fallback counted as out_of_scope, since the dialogue treats both alike)."""
    if decision.intent.name == REPORT_DISPUTE:
        return DISPUTE_INTENT_PREFIX + decision.category.name
    return OUT_OF_SCOPE if decision.intent.name == FALLBACK else decision.intent.name
