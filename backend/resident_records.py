"""Plain records for the resident's own cases as the dialogue sees them (no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Why a resident withdraws a case; each has a button and a push text.
WITHDRAW_REASONS = ("settled", "changed_mind", "other")


class CaseUnavailable(Exception):
    """The resident cannot do this with that case number.

    `reason` is "not_found" (no such case, or someone else's: both answer the same),
    "closed" (finished, withdrawn) or "at_court" (the tribunal decides about withdrawal).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MyCase:
    """One of the resident's cases, as /status shows it."""

    number: str
    category: str
    status: str
    waiting: bool  # offered, nobody has accepted it yet
    organization_name: str | None
    organization_name_en: str | None
    mediator_name: str | None  # only once a mediator has accepted the case
    next_date: datetime | None
    next_date_kind: str | None  # respond_by | appointment | mediation_due
    can_withdraw: bool
    can_add: bool
    created_at: datetime


@dataclass(frozen=True)
class EvidenceFile:
    """A file the channel adapter has checked and stored (see bot/channels/files.py)."""

    kind: str  # photo | document | voice | video
    path: str | None
    mime_type: str | None
    size: int | None
    sha256: str | None
    name: str | None = None


@dataclass(frozen=True)
class Relay:
    """Where a resident's message went: to the mediator, to the organisation's administrators,
    or nowhere yet (stored; the mediator reads it on the case once they accept it)."""

    reached: str | None  # mediator | organization | None
    mediator_name: str | None
    organization_name: str | None
    organization_name_en: str | None


@dataclass(frozen=True)
class HandlerChoice:
    """A mediator or body the resident may pick instead of the routing's choice."""

    code: str
    name: str
    kind: str  # mediator | liaison_judge | an organisation kind
