"""Case statuses and the transitions the lifecycle allows.

The happy path is new -> routed -> accepted -> scheduled -> in_mediation -> resolved -> closed.
`escalated` means moved up a tier and waiting for the new organisation to accept;
`referred_to_court` means handed to a people's court tribunal for pre-litigation mediation.
A resolved case may be reopened (the agreement was not kept) by going back to in_mediation.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    IN_MEDIATION = "in_mediation"
    RESOLVED = "resolved"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    ESCALATED = "escalated"
    REFERRED_TO_COURT = "referred_to_court"
    CLOSED = "closed"


S = CaseStatus
_ACTIVE_EXITS = {S.WITHDRAWN, S.ESCALATED, S.REFERRED_TO_COURT}

ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset({S.ROUTED, S.WITHDRAWN}),
    S.ROUTED: frozenset({S.ACCEPTED, S.ROUTED} | _ACTIVE_EXITS),
    S.ESCALATED: frozenset({S.ROUTED, S.ACCEPTED, S.WITHDRAWN, S.REFERRED_TO_COURT}),
    S.ACCEPTED: frozenset({S.SCHEDULED, S.IN_MEDIATION} | _ACTIVE_EXITS),
    S.SCHEDULED: frozenset({S.IN_MEDIATION, S.ACCEPTED, S.SCHEDULED} | _ACTIVE_EXITS),
    S.IN_MEDIATION: frozenset({S.RESOLVED, S.FAILED, S.SCHEDULED} | _ACTIVE_EXITS),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_MEDIATION}),
    S.FAILED: frozenset({S.CLOSED, S.ESCALATED, S.REFERRED_TO_COURT}),
    S.WITHDRAWN: frozenset({S.CLOSED}),
    S.REFERRED_TO_COURT: frozenset({S.ACCEPTED, S.RESOLVED, S.FAILED, S.CLOSED}),
    S.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset(set(CaseStatus) - {S.RESOLVED, S.FAILED, S.WITHDRAWN, S.CLOSED})


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
