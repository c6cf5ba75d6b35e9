"""Cases as plain dicts for the command line and exports.

Personal data is masked unless the caller asks to reveal it; a reveal is itself an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.clock import Clock
from backend.lifecycle import record_event
from backend.masking import mask_personal_data
from backend.models import CallbackRequest, Case, Organization
from nlu.entities.phones import mask_phone


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _phone(value: str | None, reveal: bool) -> str | None:
    return value if reveal or value is None else mask_phone(value)


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category,
        "status": case.status,
        "tier": case.tier,
        "organization": case.organization.code if case.organization else None,
        "mediator": case.mediator.code if case.mediator else None,
        "town": case.town_code,
        "village": case.village_code,
        "channel": case.channel,
        "risk_level": case.risk_level,
        "created_at": _iso(case.created_at),
    }


def case_detail(case: Case, *, reveal: bool = False) -> dict[str, Any]:
    text = (lambda s: s) if reveal else (lambda s: mask_personal_data(s) if s else s)
    return {
        **case_summary(case),
        "organization_name": case.organization.name if case.organization else None,
        "mediator_name": case.mediator.name if case.mediator else None,
        "description": text(case.description),
        "category_confirmed_by": case.category_confirmed_by,
        "nlu_category": case.nlu_category,
        "nlu_confidence": case.nlu_confidence,
        "place_text": case.place_text,
        "amount_yuan": case.amount_yuan,
        "started_on": case.started_on,
        "started_text": case.started_text,
        "desired_outcome": case.desired_outcome,
        "group_size": case.group_size,
        "scope": case.scope,
        "wish": case.wish,
        "routing_rule": case.routing_rule,
        "contact_phone": _phone(case.contact_phone, reveal),
        "reported_by": case.reported_by,
        "risk_reasons": case.risk_reasons,
        "parties": [
            {
                "side": p.side,
                "role": p.role,
                "name": text(p.name),
                "contact": _phone(p.contact, reveal),
            }
            for p in case.parties
        ],
        "evidence": [
            {
                "kind": e.kind,
                "note": text(e.note),
                "mime_type": e.mime_type,
                "size": e.size_bytes,
                "sha256": e.sha256,
            }
            for e in case.evidence
        ],
        "events": [
            {
                "at": _iso(e.at),
                "actor": e.actor_kind,
                "kind": e.kind,
                "from": e.from_status,
                "to": e.to_status,
                "data": e.data,
            }
            for e in case.events
        ],
        "updated_at": _iso(case.updated_at),
        "routed_at": _iso(case.routed_at),
    }


_LOAD = (
    selectinload(Case.organization),
    selectinload(Case.mediator),
    selectinload(Case.parties),
    selectinload(Case.evidence),
    selectinload(Case.events),
)


async def list_cases(session: AsyncSession, limit: int = 200) -> list[dict[str, Any]]:
    stmt = select(Case).options(*_LOAD[:2]).order_by(Case.id.desc()).limit(limit)
    return [case_summary(c) for c in await session.scalars(stmt)]


async def show_case(
    session: AsyncSession, number: str, *, reveal: bool, viewer: str, clock: Clock
) -> dict[str, Any] | None:
    case = await session.scalar(select(Case).filter_by(number=number).options(*_LOAD))
    if case is None:
        return None
    detail = case_detail(case, reveal=reveal)
    if reveal:
        record_event(
            session,
            case,
            "personal_data_viewed",
            at=clock.now(),
            actor_kind="staff",
            data={"viewer": viewer},
        )
    return detail


async def list_callbacks(
    session: AsyncSession, *, organization: str | None = None, reveal: bool = False
) -> list[dict[str, Any]]:
    """Open call-back requests, newest first, optionally for one organisation (by code)."""
    stmt = (
        select(CallbackRequest)
        .options(selectinload(CallbackRequest.organization))
        .where(CallbackRequest.status == "open")
        .order_by(CallbackRequest.id.desc())
    )
    if organization:
        stmt = stmt.join(CallbackRequest.organization).where(Organization.code == organization)
    return [
        {
            "id": r.id,
            "organization": r.organization.code if r.organization else None,
            "organization_name": r.organization.name if r.organization else None,
            "phone": _phone(r.phone, reveal),
            "reason": r.reason,
            "context": (r.context if reveal else mask_personal_data(r.context or "")) or None,
            "channel": r.channel,
            "created_at": _iso(r.created_at),
        }
        for r in await session.scalars(stmt)
    ]
