"""Plain records the backend hands to the dialogue layer (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Conversation:
    """A user's place in a conversation; persisted after every message."""

    channel: str
    user_id: str
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    locale: str = "zh"

    def reset(self) -> None:
        self.flow, self.step, self.data = None, None, {}


@dataclass(frozen=True)
class ResidentProfile:
    id: int
    locale: str
    consent_version: str | None
    phone: str | None


@dataclass
class CaseDraft:
    """What the intake collected; every field the resident may edit before submitting."""

    description: str
    category: str
    category_source: str = "resident"  # "nlu" when the suggestion was confirmed with one tap
    nlu_category: str | None = None
    nlu_confidence: float | None = None
    town_code: str | None = None
    village_code: str | None = None
    place_text: str | None = None
    other_party: str | None = None
    other_party_role: str | None = None
    started_on: str | None = None
    started_text: str | None = None
    amount_yuan: int | None = None
    desired_outcome: str | None = None
    evidence_notes: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    phone: str | None = None
    risk_level: str = "none"
    risk_reasons: list[str] = field(default_factory=list)
    # Facts for the routing rules: people on the resident's side, village | cross_village |
    # cross_town, and mediation | court (what the resident asked for).
    group_size: int | None = None
    scope: str | None = None
    wish: str | None = None
    # Reports taken by staff on a resident's behalf (proxy / offline) carry these.
    resident_name: str | None = None
    consent_version: str | None = None


@dataclass(frozen=True)
class SubmittedCase:
    number: str
    organization_name: str
    organization_name_en: str
    mediator_name: str | None
    response_deadline: datetime


@dataclass(frozen=True)
class CallbackReceipt:
    organization_name: str
    organization_name_en: str


@dataclass(frozen=True)
class PlaceRecord:
    """A town/street (kind "town") or village/community (kind "village") of the county."""

    code: str
    name: str
    name_en: str
    kind: str
    parent_code: str | None
    aliases: tuple[str, ...] = ()
