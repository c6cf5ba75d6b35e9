"""After-care of a finished case: when the survey and the agreement follow-up are asked for,
and when the case finally closes.

Timeline (whole days after the outcome, so pushes come at the hour the mediator was working):
an agreement or a failed mediation gets the satisfaction survey a day later, one reminder
three days after that, and the survey expires after a week; an agreement is also followed up
after 15 days ("has the other party done what was agreed?"), expiring unanswered after a week.
A case becomes CLOSED when nothing is pending: the survey answered or expired (or not
sendable) and, after an agreement, the follow-up answered "kept" or expired. "Partly" or "not
kept" reopens it instead. A withdrawn case gets neither (the resident stopped it; there is
no mediation to rate) and stays WITHDRAWN.

Every timed step is a job (scheduler/kinds_aftercare.py) asked for in the transaction of the
change behind it; each handler looks at the current state, so a stale or repeated run does
nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from backend.job_requests import TimedJob, request_jobs
from backend.models import Assignment, Case, Mediator, Organization, OutboxMessage
from backend.models_scheduling import FollowUp, Survey
from backend.notify import staff_of
from backend.statuses import CaseStatus

SURVEY_DELAY = timedelta(days=1)
SURVEY_REMINDER_AFTER = timedelta(days=3)
SURVEY_OPEN_FOR = timedelta(days=7)
AGREEMENT_FOLLOW_UP_AFTER = timedelta(days=15)
FOLLOW_UP_OPEN_FOR = timedelta(days=7)
ACCEPTANCE_FOLLOW_UP_AFTER = timedelta(hours=24)
AGREEMENT_KEPT = "agreement_kept"  # follow_ups.kind
ENDED = (CaseStatus.RESOLVED, CaseStatus.FAILED)


def survey_job(case: Case, at: datetime) -> TimedJob:
    return TimedJob(f"survey_send:case:{case.id}", "survey_send", (case.id,), at, case.id)


def close_job(case: Case, what: str, at: datetime) -> TimedJob:
    """The deadline of an open question (`what`: survey | follow_up)."""
    job_id = f"aftercare_close:{what}:case:{case.id}"
    return TimedJob(job_id, "aftercare_close", (case.id,), at, case.id)


async def request_acceptance_follow_up(
    session: AsyncSession, assignment: Assignment, *, at: datetime
) -> None:
    """In the transaction that makes the offer (backend/assignments.py). None when the offer's
    own deadline comes first: by then the offer has moved on."""
    run_at = assignment.offered_at + ACCEPTANCE_FOLLOW_UP_AFTER
    if run_at < assignment.respond_by:
        job = TimedJob(
            f"acceptance_follow_up:assignment:{assignment.id}",
            "acceptance_follow_up",
            (assignment.id,),
            run_at,
            assignment.case_id,
        )
        await request_jobs(session, [job], at=at)


async def outcome_recorded(session: AsyncSession, case: Case, *, at: datetime) -> None:
    """Called in the transaction that records the outcome; plans the survey (once per case,
    whatever happens later) and, after an agreement, its follow-up."""
    if case.status not in ENDED:
        return
    jobs = []
    if await session.scalar(select(Survey.id).filter_by(case_id=case.id)) is None:
        jobs.append(survey_job(case, at + SURVEY_DELAY))
    if case.status == CaseStatus.RESOLVED:
        jobs.append(
            TimedJob(
                f"agreement_follow_up:case:{case.id}",
                "agreement_follow_up",
                (case.id, at.isoformat()),
                at + AGREEMENT_FOLLOW_UP_AFTER,
                case.id,
            )
        )
    await request_jobs(session, jobs, at=at)


async def close_if_done(session: AsyncSession, case: Case, *, at: datetime) -> bool:
    """Closes the case when its after-care has nothing pending; True if it closed now."""
    if case.status not in ENDED:
        return False
    survey = await session.scalar(select(Survey).filter_by(case_id=case.id))
    if survey is not None and survey.status == "sent":
        return False
    if case.status == CaseStatus.RESOLVED:
        follow_up = await session.scalar(
            select(FollowUp).filter_by(case_id=case.id, kind=AGREEMENT_KEPT)
        )
        if follow_up is None or not (follow_up.status == "expired" or follow_up.answer == "kept"):
            return False
    lifecycle.change_status(
        session,
        case,
        CaseStatus.CLOSED,
        at=at,
        actor_kind="system",
        data={"cause": "aftercare_done"},
    )
    return True


async def expire_and_close(session: AsyncSession, case_id: int, *, at: datetime) -> None:
    """Job `aftercare_close`: questions left unanswered past their time expire; then the case
    closes if nothing else is pending."""
    case = await session.get(Case, case_id)
    if case is None:
        return
    survey = await session.scalar(select(Survey).filter_by(case_id=case_id))
    if survey is not None and survey.status == "sent" and survey.sent_at + SURVEY_OPEN_FOR <= at:
        survey.status = "expired"
        lifecycle.record_event(session, case, "survey_expired", at=at, actor_kind="system")
    follow_up = await session.scalar(
        select(FollowUp).filter_by(case_id=case_id, kind=AGREEMENT_KEPT)
    )
    if (
        follow_up is not None
        and follow_up.status == "sent"
        and follow_up.sent_at + FOLLOW_UP_OPEN_FOR <= at
    ):
        follow_up.status = "expired"
        lifecycle.record_event(session, case, "follow_up_expired", at=at, actor_kind="system")
    await close_if_done(session, case, at=at)


def open_case_button(case: Case, person: Mediator) -> list[dict[str, str]]:
    """A button to the case card, for staff of the case's own organisation (staff of a parent
    organisation may not open it: backend/staff_desk.py)."""
    if person.organization_id != case.organization_id:
        return []
    return [{"label_key": "aftercare.option.open_case", "payload": f"staff:view:{case.number}"}]


async def pushed_before(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of these outbox dedup keys exist already (a job run a second time)."""
    if not keys:
        return set()
    stmt = select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))
    return {k for k in await session.scalars(stmt) if k is not None}


async def people_of(
    session: AsyncSession, org_id: int | None, roles: tuple[str, ...]
) -> list[Mediator]:
    """The first of `roles` the organisation has (e.g. administrators, else supervisors); when
    it has none, the same from its parent organisation."""
    org = await session.get(Organization, org_id) if org_id is not None else None
    while org is not None:
        for role in roles:
            people = await staff_of(session, org, (role,))
            if people:
                return people
        org = await session.get(Organization, org.parent_id) if org.parent_id else None
    return []
