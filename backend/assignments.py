"""Offering a case to a mediator and what follows: accept, decline, no answer, escalation.

Each offer is an Assignment row with a response deadline (48 hours unless the organisation
says otherwise). A decline or a missed deadline offers the case to the next mediator of the
same organisation; when nobody is left it goes one tier up. Every step leaves a case event and
its pushes are written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import aftercare, lifecycle
from backend.db import lock_skipping_locked
from backend.models import Assignment, Case, Mediator, Organization, Resident
from backend.notify import notify_resident, notify_staff, staff_of
from backend.offer_push import offer_params
from backend.routing import choose_mediator, escalation_target
from backend.staff_records import Refused
from backend.statuses import CaseStatus

DEFAULT_RESPONSE_HOURS = 48
DEFAULT_MEDIATION_DAYS = 30
DECLINE_REASONS = ("busy", "conflict", "not_ours", "other")
# Statuses in which a case waits for someone to accept it.
WAITING = (CaseStatus.ROUTED, CaseStatus.ESCALATED)
# Statuses in which an offer may be answered: also a case referred to a tribunal, offered there
# to the village's liaison judge (or the tribunal's administrators).
ANSWERABLE = (*WAITING, CaseStatus.REFERRED_TO_COURT)
IN_HAND = (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED, CaseStatus.IN_MEDIATION)


@dataclass(frozen=True)
class OfferOutcome:
    organization: Organization
    mediator: Mediator | None
    escalated: bool


def response_hours(org: Organization) -> int:
    return org.response_deadline_hours or DEFAULT_RESPONSE_HOURS


def mediation_days(org: Organization) -> int:
    return org.mediation_deadline_days or DEFAULT_MEDIATION_DAYS


async def _resident_locale(session: AsyncSession, case: Case) -> str:
    """Mediators who speak the resident's language come first."""
    resident = await session.get(Resident, case.resident_id)
    return resident.locale if resident is not None else "zh"


def end_offer(assignment: Assignment, *, at: datetime, reason: str) -> None:
    """An offer (or accepted assignment) that no longer stands: withdrawn, redirected..."""
    assignment.status, assignment.answered_at, assignment.reason = "ended", at, reason


async def current_offer(
    session: AsyncSession, case: Case, *, lock: bool = False
) -> Assignment | None:
    """The open offer of the case. With `lock`, its row is locked and read afresh, so an
    answer racing the deadline sweep (or another administrator) waits and sees the result."""
    stmt = (
        select(Assignment)
        .where(Assignment.case_id == case.id, Assignment.status == "offered")
        .order_by(Assignment.id.desc())
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def offer(
    session: AsyncSession,
    case: Case,
    org: Organization,
    mediator: Mediator | None,
    *,
    at: datetime,
    chosen_by_resident: bool = False,
) -> Assignment:
    """Offers the case; without a mediator it is offered to the organisation's administrators."""
    assignment = Assignment(
        case_id=case.id,
        organization_id=org.id,
        mediator_id=mediator.id if mediator else None,
        status="offered",
        offered_at=at,
        respond_by=at + timedelta(hours=response_hours(org)),
        chosen_by_resident=chosen_by_resident,
    )
    session.add(assignment)
    case.organization_id, case.tier = org.id, org.tier
    case.mediator_id = mediator.id if mediator else None
    if mediator is not None:
        mediator.last_assigned_at = at
    await session.flush()
    lifecycle.record_event(
        session,
        case,
        "offered",
        at=at,
        actor_kind="system",
        data={"organization": org.code, "mediator": mediator.code if mediator else None},
    )
    params, translate = await offer_params(session, case, org)
    params["respond_by"] = assignment.respond_by.isoformat()
    options = [
        {"label_key": "option.accept", "payload": f"accept:{case.number}"},
        {"label_key": "option.decline", "payload": f"decline:{case.number}"},
    ]
    key = "push.mediator_assigned_urgent" if case.risk_level == "high" else "push.mediator_assigned"
    recipients = [mediator] if mediator is not None else await staff_of(session, org, ("admin",))
    for person in recipients:
        await notify_staff(
            session,
            person,
            key,
            params,
            purpose="assignment",
            at=at,
            case=case,
            options=options,
            dedup=f"offer:{assignment.id}:{person.code}",
            translate=translate,
            times=["respond_by"],
        )
    await aftercare.request_acceptance_follow_up(session, assignment, at=at)  # 24 h reminder
    return assignment


async def _offer_within_or_above(
    session: AsyncSession, case: Case, org: Organization, *, at: datetime, cause: str
) -> OfferOutcome:
    """The next mediator of `org` who has not had this case; else one tier up."""
    tried = await session.scalars(
        select(Assignment.mediator_id).where(
            Assignment.case_id == case.id, Assignment.mediator_id.is_not(None)
        )
    )
    exclude = {m for m in tried if m is not None}
    locale = await _resident_locale(session, case)
    mediator = await choose_mediator(session, org, case.category, locale=locale, exclude=exclude)
    if mediator is not None:
        await offer(session, case, org, mediator, at=at)
        return OfferOutcome(org, mediator, escalated=False)
    at_court = case.status == CaseStatus.REFERRED_TO_COURT  # the tribunal is the last stop
    upper = None if at_court else await escalation_target(session, org)
    if upper is None:  # nobody left at the top (or the tribunal): its administrators decide
        await offer(session, case, org, None, at=at)
        await _tell_supervisors(session, case, org, at=at, cause=cause)
        return OfferOutcome(org, None, escalated=False)
    mediator = await escalate(session, case, upper, at=at, cause=cause)
    return OfferOutcome(upper, mediator, escalated=True)


async def escalate(
    session: AsyncSession, case: Case, upper: Organization, *, at: datetime, cause: str
) -> Mediator | None:
    """Moves the case one tier up, tells the upper organisation's supervisors, offers it."""
    lower = case.organization_id
    if case.status != CaseStatus.ESCALATED:
        lifecycle.change_status(
            session,
            case,
            CaseStatus.ESCALATED,
            at=at,
            actor_kind="system",
            data={"cause": cause, "from_organization_id": lower, "to": upper.code},
        )
    else:
        lifecycle.record_event(
            session,
            case,
            "escalated_again",
            at=at,
            actor_kind="system",
            data={"cause": cause, "from_organization_id": lower, "to": upper.code},
        )
    case.mediation_due_at = None
    locale = await _resident_locale(session, case)
    mediator = await choose_mediator(session, upper, case.category, locale=locale)
    await offer(session, case, upper, mediator, at=at)
    await _tell_supervisors(session, case, upper, at=at, cause=cause)
    await notify_resident(
        session,
        case,
        "push.resident_case_escalated",
        {"number": case.number, "organization": upper.name},
        purpose="escalation",
        at=at,
    )
    return mediator


async def _tell_supervisors(
    session: AsyncSession, case: Case, org: Organization, *, at: datetime, cause: str
) -> None:
    people = await staff_of(session, org, ("supervisor",))
    if not people and org.parent_id is not None:
        parent = await session.get(Organization, org.parent_id)
        people = await staff_of(session, parent, ("supervisor",)) if parent else []
    for person in people:
        await notify_staff(
            session,
            person,
            "push.supervisor_escalation",
            {
                "number": case.number,
                "category": case.category,
                "organization": org.name,
                "cause": f"escalation.cause.{cause}",
            },
            translate=["cause"],
            purpose="escalation",
            at=at,
            case=case,
            dedup=f"escalation:{case.id}:{org.code}:{cause}:{person.code}:{at.isoformat()}",
        )


async def _offer_answerable_by(session: AsyncSession, case: Case, staff: Mediator) -> Assignment:
    assignment = await current_offer(session, case, lock=True)
    if assignment is None or case.status not in ANSWERABLE:
        raise Refused("staff.error.not_offered")
    if assignment.mediator_id == staff.id:
        return assignment
    if assignment.organization_id == staff.organization_id and staff.role in ("admin",):
        return assignment  # an administrator may answer for the organisation
    raise Refused("staff.error.not_offered")


async def accept(session: AsyncSession, case: Case, staff: Mediator, *, at: datetime) -> None:
    assignment = await _offer_answerable_by(session, case, staff)
    org = await session.get(Organization, assignment.organization_id)
    assert org is not None
    assignment.status, assignment.answered_at = "accepted", at
    assignment.mediator_id = staff.id
    case.mediator_id = staff.id
    case.mediation_due_at = at + timedelta(days=mediation_days(org))
    lifecycle.change_status(
        session,
        case,
        CaseStatus.ACCEPTED,
        at=at,
        actor_kind="mediator",
        actor_id=staff.id,
        data={"mediator": staff.code, "organization": org.code},
    )
    await notify_resident(
        session,
        case,
        "push.resident_case_accepted",
        {"number": case.number, "mediator": staff.name, "organization": org.name},
        purpose="accepted",
        at=at,
    )


async def decline(
    session: AsyncSession,
    case: Case,
    staff: Mediator,
    *,
    reason: str,
    at: datetime,
    reason_text: str | None = None,
) -> OfferOutcome:
    if reason not in DECLINE_REASONS:
        raise Refused("staff.error.bad_reason")
    assignment = await _offer_answerable_by(session, case, staff)
    org = await session.get(Organization, assignment.organization_id)
    assert org is not None
    assignment.status, assignment.answered_at = "declined", at
    assignment.reason, assignment.reason_text = reason, reason_text
    if assignment.mediator_id is None:  # an administrator declined for the organisation
        assignment.mediator_id = staff.id
    lifecycle.record_event(
        session,
        case,
        "declined",
        at=at,
        actor_kind="mediator",
        actor_id=staff.id,
        data={"mediator": staff.code, "reason": reason},
    )
    if reason == "not_ours" and staff.role == "admin" and case.status in WAITING:
        upper = await escalation_target(session, org)
        if upper is not None:
            mediator = await escalate(session, case, upper, at=at, cause="not_ours")
            return OfferOutcome(upper, mediator, escalated=True)
    return await _offer_within_or_above(session, case, org, at=at, cause="declined")


async def expire_overdue_offers(session: AsyncSession, *, at: datetime, limit: int = 200) -> int:
    """Offers nobody answered in time go to the next mediator (then one tier up)."""
    stmt = (
        select(Assignment)
        .where(Assignment.status == "offered", Assignment.respond_by <= at)
        .order_by(Assignment.respond_by, Assignment.id)
        .limit(limit)
    )
    overdue: Sequence[Assignment] = (
        await session.scalars(lock_skipping_locked(stmt, session))
    ).all()
    for assignment in overdue:
        case = await session.get(Case, assignment.case_id)
        org = await session.get(Organization, assignment.organization_id)
        assert case is not None and org is not None
        assignment.status, assignment.answered_at, assignment.reason = "expired", at, "timeout"
        lifecycle.record_event(
            session,
            case,
            "response_deadline_missed",
            at=at,
            actor_kind="system",
            data={
                "mediator_id": assignment.mediator_id,
                "organization": org.code,
                "respond_by": assignment.respond_by.isoformat(),
            },
        )
        if case.status in ANSWERABLE:
            await _offer_within_or_above(session, case, org, at=at, cause="no_answer")
    return len(overdue)


async def escalate_overdue_mediations(
    session: AsyncSession, *, at: datetime, limit: int = 200
) -> int:
    """Mediation not finished within its days goes one tier up and the supervisor is told."""
    stmt = (
        select(Case)
        .where(Case.status.in_([s.value for s in IN_HAND]), Case.mediation_due_at <= at)
        .order_by(Case.mediation_due_at, Case.id)
        .limit(limit)
    )
    overdue: Sequence[Case] = (await session.scalars(lock_skipping_locked(stmt, session))).all()
    for case in overdue:
        org = (
            await session.get(Organization, case.organization_id) if case.organization_id else None
        )
        upper = await escalation_target(session, org) if org else None
        lifecycle.record_event(
            session,
            case,
            "mediation_deadline_missed",
            at=at,
            actor_kind="system",
            data={"due": case.mediation_due_at.isoformat() if case.mediation_due_at else None},
        )
        if upper is None:  # already at the top: the supervisors must act; ask again in a week
            case.mediation_due_at = at + timedelta(days=7)
            if org is not None:
                await _tell_supervisors(session, case, org, at=at, cause="mediation_overdue")
            continue
        active = await session.scalars(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.status == "accepted")
        )
        for assignment in active:
            end_offer(assignment, at=at, reason="mediation_overdue")
        await escalate(session, case, upper, at=at, cause="mediation_overdue")
    return len(overdue)
