"""The NLU layer's public contract: what every backend returns and what it is handed.

`nlu/` depends on nothing else of ours; callers hand it the place-name gazetteer as data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

# Dispute categories (exact keys shared with routing rules, reports and evaluation files).
CATEGORIES: tuple[str, ...] = (
    "neighbour",
    "family_marriage",
    "labour",
    "land",
    "expropriation",
    "property_management",
    "debt_contract",
    "traffic_accident",
    "medical",
    "consumer",
    "housing_tenancy",
    "personal_injury",
    "environment",
    "administrative",
    "construction",
    "other",
)

# Dialogue intents. A dispute description is the intent `report_dispute`; in the training
# data it is written as one intent per category, `dispute_<category>`, so one classifier
# (Rasa's or ours) learns both the dialogue intent and the category.
DIALOGUE_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "report_dispute",
    "check_status",
    "book_mediation",
    "reschedule",
    "cancel_booking",
    "affirm",
    "deny",
    "help",
    "thanks",
    "talk_to_human",
    "out_of_scope",
)
DISPUTE_INTENT_PREFIX = "dispute_"

RISK_LEVELS: tuple[str, ...] = ("none", "low", "medium", "high")


@dataclass(frozen=True)
class Ranked:
    name: str
    confidence: float


@dataclass(frozen=True)
class Entity:
    """`value` is normalised: int yuan for money, ISO date string for dates, digits for phones,
    a gazetteer code for places, a role key for parties."""

    type: str
    text: str
    value: Any
    start: int
    end: int


@dataclass(frozen=True)
class Risk:
    level: str = "none"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParseResult:
    intent: Ranked
    category: Ranked
    category_ranking: tuple[Ranked, ...] = ()
    entities: tuple[Entity, ...] = ()
    risk: Risk = field(default_factory=Risk)
    backend: str = "builtin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": asdict(self.intent),
            "category": {**asdict(self.category),
                         "ranking": [asdict(r) for r in self.category_ranking]},
            "entities": [asdict(e) for e in self.entities],
            "risk": {"level": self.risk.level, "reasons": list(self.risk.reasons)},
        }

    def entity_values(self, entity_type: str) -> list[Any]:
        return [e.value for e in self.entities if e.type == entity_type]


@dataclass(frozen=True)
class GazetteerEntry:
    """One place the county knows: a town/street or a village/community."""

    code: str
    name: str
    kind: str  # "town" or "village"
    parent_code: str | None = None
    aliases: tuple[str, ...] = ()


class NluBackend(Protocol):
    """An interchangeable parser (builtin scikit-learn model, Rasa server, ...)."""

    name: str

    async def parse(self, text: str) -> ParseResult: ...
