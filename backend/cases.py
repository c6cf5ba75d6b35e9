"""Creating, routing and listing cases."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import assignments, lifecycle
from backend.case_numbers import next_case_number
from backend.models import Case, Evidence, Mediator, Organization, Party, Resident
from backend.records import CaseDraft, SubmittedCase
from backend.risk_alerts import alert_duty_staff
from backend.routing import route_case, rules_for
from backend.routing_rules import RoutingRules
from backend.statuses import CaseStatus

SHORT_DESCRIPTION_CHARS = 60


def _case_from_draft(
    draft: CaseDraft, resident: Resident, channel: str, number: str, reported_by: str
) -> Case:
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
        group_size=draft.group_size,
        scope=draft.scope,
        wish=draft.wish,
        channel=channel,
        reported_by=reported_by,
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
    session: AsyncSession,
    resident: Resident,
    draft: CaseDraft,
    *,
    channel: str,
    at: datetime,
    staff: Mediator | None = None,
    reported_by: str = "self",
    rules: RoutingRules | None = None,
) -> SubmittedCase:
    """Stores the case, routes it and queues the assignment push, all in one transaction.

    A case staff register on a resident's behalf records who did it; an offline case (it came
    to that staff member in person or by phone) is theirs at once instead of being routed.
    """
    # The real number is drawn as late as possible: its counter row stays locked until this
    # transaction commits, and every other filing in the county waits for it meanwhile
    # (docs/benchmarks.md, WeChat channel throughput). Until then the case has a placeholder.
    case = _case_from_draft(draft, resident, channel, f"~{uuid.uuid4().hex[:15]}", reported_by)
    case.reported_by_mediator_id = staff.id if staff is not None else None
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
    if staff is None:
        lifecycle.open_case(session, case, at=at, actor_kind="resident", actor_id=resident.id)
    else:
        lifecycle.open_case(session, case, at=at, actor_kind="mediator", actor_id=staff.id)
    await session.flush()
    if staff is not None and reported_by == "offline":
        case.number = await next_case_number(session, at.year)
        return await _take_offline_case(session, case, staff, at=at)
    rules = rules_for(session, rules)
    decision = await route_case(session, case, rules, at=at, locale=resident.locale)
    case.number = await next_case_number(session, at.year)
    case.routing_rule = decision.rule
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
    assignment = await assignments.offer(
        session, case, decision.organization, decision.mediator, at=at
    )
    if case.risk_level == "high":
        reached = await alert_duty_staff(
            session,
            text=case.description,
            reasons=list(case.risk_reasons),
            town_code=case.town_code,
            at=at,
            dedup=f"risk-case:{case.id}",
            case=case,
        )
        lifecycle.record_event(
            session, case, "risk_alert", at=at, actor_kind="system", data={"reached": reached}
        )
    return SubmittedCase(
        number=case.number,
        organization_name=decision.organization.name,
        organization_name_en=decision.organization.name_en,
        mediator_name=decision.mediator.name if decision.mediator else None,
        response_deadline=assignment.respond_by,
    )


async def _take_offline_case(
    session: AsyncSession, case: Case, staff: Mediator, *, at: datetime
) -> SubmittedCase:
    org = await session.get(Organization, staff.organization_id)
    assert org is not None
    lifecycle.change_status(
        session,
        case,
        CaseStatus.ROUTED,
        at=at,
        actor_kind="mediator",
        actor_id=staff.id,
        data={"organization": org.code, "rule": "offline_registration", "mediator": staff.code},
    )
    case.routing_rule = "offline_registration"
    assignment = await assignments.offer(session, case, org, staff, at=at)
    await assignments.accept(session, case, staff, at=at)
    return SubmittedCase(case.number, org.name, org.name_en, staff.name, assignment.respond_by)


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
