"""The one place where a case changes status; every change leaves an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Case, CaseEvent
from backend.statuses import CaseStatus, can_transition


class IllegalTransition(ValueError):
    def __init__(self, case_number: str, current: str, target: str) -> None:
        super().__init__(f"case {case_number}: {current} -> {target} is not allowed")
        self.current, self.target = current, target


def record_event(
    session: AsyncSession,
    case: Case,
    kind: str,
    *,
    at: datetime,
    actor_kind: str,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )
    session.add(event)
    return event


def change_status(
    session: AsyncSession,
    case: Case,
    target: CaseStatus,
    *,
    at: datetime,
    actor_kind: str,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    current = CaseStatus(case.status)
    if not can_transition(current, target):
        raise IllegalTransition(case.number, current, target)
    case.status = target
    case.updated_at = at
    if target is CaseStatus.ROUTED:
        case.routed_at = at
    elif target is CaseStatus.ACCEPTED and case.accepted_at is None:
        case.accepted_at = at
    elif target is CaseStatus.CLOSED:
        case.closed_at = at
    return record_event(
        session,
        case,
        "status_changed",
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        data=data,
        from_status=current,
        to_status=target,
    )


def open_case(
    session: AsyncSession, case: Case, *, at: datetime, actor_kind: str, actor_id: int | None
) -> CaseEvent:
    """A case is born `new`; its first event says who reported it and how."""
    case.status = CaseStatus.NEW
    case.created_at = case.updated_at = at
    session.add(case)
    return record_event(
        session,
        case,
        "created",
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        to_status=CaseStatus.NEW,
        data={"channel": case.channel, "reported_by": case.reported_by},
    )
