"""Creating, routing and listing cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend import lifecycle, outbox
from backend.case_numbers import next_case_number
from backend.models import Case, Evidence, Organization, Party, Resident
from backend.records import CaseDraft, CaseSummary, SubmittedCase
from backend.routing import DEFAULT_RESPONSE_HOURS, route_case
from backend.statuses import CaseStatus

SHORT_DESCRIPTION_CHARS = 60


def _case_from_draft(draft: CaseDraft, resident: Resident, channel: str, number: str) -> Case:
    case = Case(
        number=number,
        category=draft.category,
        category_confirmed_by=draft.category_source,
        nlu_category=draft.nlu_category,
        nlu_confidence=draft.nlu_confidence,
        description=draft.description,
        town_code=draft.town_code,
        village_code=draft.village_code,
        place_text=draft.place_text,
        amount_yuan=draft.amount_yuan,
        started_on=draft.started_on,
        started_text=draft.started_text,
        desired_outcome=draft.desired_outcome,
        channel=channel,
        reported_by="self",
        risk_level=draft.risk_level,
        risk_reasons=list(draft.risk_reasons),
        resident_id=resident.id,
        contact_phone=draft.phone,
    )
    case.parties = [
        Party(side="applicant", role="resident", contact=draft.phone),
        Party(side="respondent", role=draft.other_party_role, name=draft.other_party),
    ]
    return case


async def submit_case(
    session: AsyncSession, resident: Resident, draft: CaseDraft, *, channel: str, at: datetime
) -> SubmittedCase:
    """Stores the case, routes it and queues the assignment push, all in one transaction."""
    case = _case_from_draft(draft, resident, channel, await next_case_number(session, at.year))
    case.evidence = [
        Evidence(kind="note", note=note, created_at=at) for note in draft.evidence_notes
    ]
    case.evidence += [
        Evidence(
            kind=a.get("kind", "document"),
            storage_path=a.get("path"),
            mime_type=a.get("mime_type"),
            size_bytes=a.get("size"),
            sha256=a.get("sha256"),
            created_at=at,
        )
        for a in draft.attachments
    ]
    lifecycle.open_case(session, case, at=at, actor_kind="resident", actor_id=resident.id)
    await session.flush()
    decision = await route_case(session, case)
    case.organization_id = decision.organization.id
    case.tier = decision.organization.tier
    case.mediator_id = decision.mediator.id if decision.mediator else None
    lifecycle.change_status(
        session,
        case,
        CaseStatus.ROUTED,
        at=at,
        actor_kind="system",
        data={
            "organization": decision.organization.code,
            "rule": decision.rule,
            "mediator": decision.mediator.code if decision.mediator else None,
        },
    )
    hours = decision.organization.response_deadline_hours or DEFAULT_RESPONSE_HOURS
    if decision.mediator and decision.mediator.resident_id:
        identity = await outbox.latest_identity(session, decision.mediator.resident_id)
        if identity is not None:
            outbox.enqueue(
                session,
                channel=identity.channel,
                recipient=identity.external_id,
                message_key="push.mediator_assigned",
                purpose="assignment",
                at=at,
                case_id=case.id,
                dedup_key=f"assign:{case.number}:{decision.mediator.code}",
                params={
                    "number": case.number,
                    "category": case.category,
                    "place": decision.organization.name,
                    "summary": draft.description[:SHORT_DESCRIPTION_CHARS],
                },
                options=[
                    {"label_key": "option.accept", "payload": f"accept:{case.number}"},
                    {"label_key": "option.decline", "payload": f"decline:{case.number}"},
                ],
            )
    return SubmittedCase(
        number=case.number,
        organization_name=decision.organization.name,
        organization_name_en=decision.organization.name_en,
        mediator_name=decision.mediator.name if decision.mediator else None,
        response_deadline=at + timedelta(hours=hours),
    )


async def cases_of_resident(session: AsyncSession, resident_id: int) -> list[CaseSummary]:
    stmt = (
        select(Case)
        .where(Case.resident_id == resident_id)
        .options(selectinload(Case.organization), selectinload(Case.mediator))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    return [
        CaseSummary(
            number=c.number,
            category=c.category,
            status=c.status,
            organization_name=c.organization.name if c.organization else None,
            organization_name_en=c.organization.name_en if c.organization else None,
            mediator_name=c.mediator.name if c.mediator else None,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in await session.scalars(stmt)
    ]


async def organization_for_callback(
    session: AsyncSession, town_code: str | None
) -> Organization | None:
    """A call-back goes to the resident's town centre, or the county centre when unknown."""
    if town_code:
        org = await session.scalar(
            select(Organization).filter_by(kind="town_mediation_centre", town_code=town_code)
        )
        if org is not None:
            return org
    return await session.scalar(select(Organization).filter_by(kind="county_mediation_centre"))
