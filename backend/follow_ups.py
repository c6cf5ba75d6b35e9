"""Follow-ups: an offer nobody has taken after 24 hours, and an agreement 15 days on.

The acceptance follow-up reminds the organisation's administrators (else its supervisors)
once per offer, well before the offer's own deadline passes it on. The agreement follow-up
asks the resident whether the other party has done what was agreed, with three one-tap
answers; "partly" and "not kept" reopen the case for its mediator (resolved -> in_mediation),
"kept" lets it close. Pushes carry dedup keys derived from the job, so a job that runs twice
pushes once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import aftercare, lifecycle
from backend.assignments import ANSWERABLE, mediation_days
from backend.job_requests import request_jobs
from backend.models import Assignment, Case, Mediator, Organization
from backend.models_scheduling import FollowUp
from backend.notify import notify_resident, notify_staff
from backend.statuses import CaseStatus

AGREEMENT_ANSWERS = ("kept", "partly", "not_kept")
REOPENING = ("partly", "not_kept")


# --- 24 hours without an answer to an offer ----------------------------------------------


async def acceptance_follow_up(session: AsyncSession, assignment_id: int, *, at: datetime) -> None:
    """Job `acceptance_follow_up`: the offer still stands unanswered -> the administrators."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.status != "offered":
        return
    case = await session.get(Case, assignment.case_id)
    if case is None or case.status not in ANSWERABLE:
        return
    people = await aftercare.people_of(session, assignment.organization_id, ("admin", "supervisor"))
    offered_to = (
        await session.get(Mediator, assignment.mediator_id) if assignment.mediator_id else None
    )
    keys = {p.code: f"acceptance_follow_up:{assignment.id}:{p.code}" for p in people}
    if await aftercare.pushed_before(session, list(keys.values())):
        return  # this job ran before
    reached = []
    for person in people:
        sent = await notify_staff(
            session,
            person,
            "push.acceptance_follow_up",
            {
                "number": case.number,
                "category": case.category,
                "mediator": offered_to.name if offered_to else "-",
                "offered_at": assignment.offered_at.isoformat(),
                "respond_by": assignment.respond_by.isoformat(),
            },
            purpose="acceptance_follow_up",
            at=at,
            case=case,
            options=aftercare.open_case_button(case, person),
            dedup=keys[person.code],
            times=["offered_at", "respond_by"],
        )
        if sent:
            reached.append(person.code)
    lifecycle.record_event(
        session,
        case,
        "acceptance_follow_up",
        at=at,
        actor_kind="system",
        data={"assignment_id": assignment.id, "told": reached},
    )


async def acceptance_follow_up_missed(
    session: AsyncSession, assignment_id: int, *, scheduled_for: datetime, at: datetime
) -> None:
    """The reminder came too late to matter (the server was down): recorded, not sent."""
    assignment = await session.get(Assignment, assignment_id)
    case = await session.get(Case, assignment.case_id) if assignment else None
    if case is not None:
        lifecycle.record_event(
            session,
            case,
            "follow_up_missed",
            at=at,
            actor_kind="system",
            data={"kind": "acceptance_follow_up", "scheduled_for": scheduled_for.isoformat()},
        )


# --- is the agreement being kept? --------------------------------------------------------


async def agreement_follow_up(
    session: AsyncSession, case_id: int, resolved_at: str, *, at: datetime
) -> None:
    """Job `agreement_follow_up`: asks the resident, once per agreement (`resolved_at` tells a
    re-agreed case's second follow-up from a repeat of the first)."""
    case = await session.get(Case, case_id)
    if case is None or case.status != CaseStatus.RESOLVED:
        return  # reopened meanwhile, or closed: nothing to ask
    row = await session.scalar(
        select(FollowUp).filter_by(case_id=case_id, kind=aftercare.AGREEMENT_KEPT)
    )
    if row is not None and row.sent_at >= datetime.fromisoformat(resolved_at):
        return  # already asked about this agreement
    if row is None:
        row = FollowUp(case_id=case_id, kind=aftercare.AGREEMENT_KEPT)
        session.add(row)
    row.status, row.sent_at, row.answered_at, row.answer, row.comment = "sent", at, None, None, None
    options = [
        {"label_key": f"aftercare.agreement.{a}", "payload": f"followup:{case.number}:{a}"}
        for a in AGREEMENT_ANSWERS
    ]
    asked = await notify_resident(
        session,
        case,
        "push.agreement_follow_up",
        {"number": case.number},
        purpose="agreement_follow_up",
        at=at,
        options=options,
        dedup=f"agreement_follow_up:{case.id}:{resolved_at}",
    )
    if not asked:  # no chat account (a proxy or offline case): the mediator asks by phone
        row.status = "expired"
        lifecycle.record_event(session, case, "follow_up_unreachable", at=at, actor_kind="system")
        mediator = await session.get(Mediator, case.mediator_id) if case.mediator_id else None
        if mediator is not None:
            await notify_staff(
                session,
                mediator,
                "push.agreement_follow_up_by_phone",
                {"number": case.number},
                purpose="agreement_follow_up",
                at=at,
                case=case,
                dedup=f"agreement_follow_up_phone:{case.id}:{resolved_at}",
            )
        await aftercare.close_if_done(session, case, at=at)
        return
    lifecycle.record_event(session, case, "follow_up_sent", at=at, actor_kind="system")
    await request_jobs(
        session, [aftercare.close_job(case, "follow_up", at + aftercare.FOLLOW_UP_OPEN_FOR)], at=at
    )


async def answer_agreement(
    session: AsyncSession, case: Case, answer: str, *, at: datetime
) -> str:
    """The resident's tap: "recorded" (stored; the case reopens or may close), "already" (a
    second tap: nothing changes), "expired" (asked, but no longer open) or "not_asked"."""
    if answer not in AGREEMENT_ANSWERS:
        raise ValueError(answer)
    row = await session.scalar(
        select(FollowUp).filter_by(case_id=case.id, kind=aftercare.AGREEMENT_KEPT)
    )
    if row is None:
        return "not_asked"
    if row.status != "sent":
        return "already" if row.status == "answered" else "expired"
    row.status, row.answer, row.answered_at = "answered", answer, at
    lifecycle.record_event(
        session,
        case,
        "follow_up_answered",
        at=at,
        actor_kind="resident",
        actor_id=case.resident_id,
        data={"answer": answer},
    )
    if answer in REOPENING and case.status == CaseStatus.RESOLVED:
        await _reopen(session, case, answer, at=at)
    else:
        await aftercare.close_if_done(session, case, at=at)
    return "recorded"


async def _reopen(session: AsyncSession, case: Case, answer: str, *, at: datetime) -> None:
    lifecycle.change_status(
        session,
        case,
        CaseStatus.IN_MEDIATION,
        at=at,
        actor_kind="resident",
        actor_id=case.resident_id,
        data={"cause": "agreement_not_kept", "answer": answer},
    )
    case.outcome = None  # no longer an agreement; the mediator records the next outcome
    org = await session.get(Organization, case.organization_id) if case.organization_id else None
    if org is not None:  # a fresh mediation period, watched by the deadline sweep
        case.mediation_due_at = at + timedelta(days=mediation_days(org))
    mediator = await session.get(Mediator, case.mediator_id) if case.mediator_id else None
    people = [mediator] if mediator is not None and mediator.active else []
    if not people:
        people = await aftercare.people_of(session, case.organization_id, ("admin", "supervisor"))
    for person in people:
        await notify_staff(
            session,
            person,
            "push.agreement_not_kept",
            {"number": case.number, "answer": f"aftercare.agreement.{answer}"},
            purpose="reopened",
            at=at,
            case=case,
            options=aftercare.open_case_button(case, person),
            translate=["answer"],
            dedup=f"reopened:{case.id}:{at.isoformat()}:{person.code}",
        )
