"""Plain records for the staff side of the dialogue (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class Refused(Exception):
    """A staff action that cannot be done; `key` is the catalogue text that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Handover:
    """Where a declined case went next."""

    organization_name: str
    mediator_name: str | None
    escalated: bool


@dataclass(frozen=True)
class StaffProfile:
    code: str
    name: str
    role: str  # mediator | admin | supervisor | judge | grid_worker
    organization_code: str
    organization_name: str


@dataclass(frozen=True)
class StaffCaseLine:
    number: str
    category: str
    status: str
    place: str | None
    due: datetime | None  # answer-by while offered, mediation deadline while in hand
    offered_to_me: bool


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    to_status: str | None
    detail: str | None


@dataclass(frozen=True)
class CaseNote:
    """A note, a message to the applicant or one from them (`kind` as in CaseMessage)."""

    kind: str  # note | to_resident | to_mediator
    text: str
    with_attachment: bool = False


@dataclass(frozen=True)
class StaffCaseView:
    """What a staff member may see: the phone only once the case is theirs."""

    number: str
    category: str
    status: str
    organization_name: str | None
    mediator_name: str | None
    place: str | None
    description: str
    other_party: str | None
    other_party_role: str | None
    amount_yuan: int | None
    started_text: str | None
    desired_outcome: str | None
    phone: str | None
    phone_hidden: bool
    risk_level: str
    reported_by: str
    outcome: str | None
    mediation_due_at: datetime | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)


@dataclass(frozen=True)
class OfflineCase:
    """A case that came in person or by phone, registered by staff (or reported by proxy)."""

    category: str
    description: str
    resident_name: str
    phone: str | None
    town_code: str | None
    village_code: str | None
    place_text: str | None
    reported_by: str  # offline | proxy
    group_size: int | None = None
    risk_level: str = "none"
    risk_reasons: list[str] = field(default_factory=list)
