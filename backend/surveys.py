"""The satisfaction survey: sent once per case a day after the outcome, reminded at most once,
answered one tap at a time.

"overall" (1-5), "fair" and "fast" are stored in clear on the surveys row, because the
monthly report counts them; the free comment stays inside the encrypted `answers`. A low
score (overall 1-2, or "not fair") tells the organisation's supervisors once. Never two
surveys for a case: the row is unique per case, the handler checks for it, and the pushes
carry dedup keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import aftercare, lifecycle
from backend.aftercare_records import (
    CHOICES,
    QUESTIONS,
    SKIP,
    SurveyProgress,
    choice_key,
    choice_payload,
    question_key,
)
from backend.job_requests import TimedJob, request_jobs
from backend.models import Case, Mediator
from backend.models_scheduling import Survey
from backend.notify import notify_resident, notify_staff
from backend.statuses import CaseStatus

LOW_OVERALL = 2
COMMENT_MAX_CHARS = 1000
SURVEYED = (CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.CLOSED)


def next_question(answers: dict[str, Any]) -> str | None:
    return next((q for q in QUESTIONS if q not in answers), None)


def question_options(number: str, question: str) -> list[dict[str, str]]:
    return [
        {"label_key": choice_key(question, v), "payload": choice_payload(number, question, v)}
        for v in CHOICES[question]
    ]


async def send_survey(session: AsyncSession, case_id: int, *, at: datetime) -> None:
    """Job `survey_send`: the first question, unless the case was reopened or sent on to the
    tribunal meanwhile (its next outcome plans the survey again) or a survey exists."""
    case = await session.get(Case, case_id)
    if case is None or case.status not in SURVEYED:
        return
    if await session.scalar(select(Survey.id).filter_by(case_id=case_id)) is not None:
        return
    sent = await notify_resident(
        session,
        case,
        "push.survey_start",
        {"number": case.number, "question": question_key("overall")},
        purpose="survey",
        at=at,
        options=question_options(case.number, "overall"),
        dedup=f"survey:{case.id}",
        translate=["question"],
    )
    if not sent:  # no chat account (proxy, offline): nobody to ask
        lifecycle.record_event(session, case, "survey_not_sent", at=at, actor_kind="system")
        await aftercare.close_if_done(session, case, at=at)
        return
    session.add(Survey(case_id=case.id, resident_id=case.resident_id, status="sent", sent_at=at))
    lifecycle.record_event(session, case, "survey_sent", at=at, actor_kind="system")
    await request_jobs(
        session,
        [
            TimedJob(
                f"survey_reminder:case:{case.id}",
                "survey_reminder",
                (case.id,),
                at + aftercare.SURVEY_REMINDER_AFTER,
                case.id,
            ),
            aftercare.close_job(case, "survey", at + aftercare.SURVEY_OPEN_FOR),
        ],
        at=at,
    )


async def remind(session: AsyncSession, case_id: int, *, at: datetime) -> None:
    """Job `survey_reminder`: once, and only while the survey is unfinished; it puts the next
    unanswered question again."""
    survey = await session.scalar(select(Survey).filter_by(case_id=case_id))
    if survey is None or survey.status != "sent" or survey.reminded_at is not None:
        return
    case = await session.get(Case, case_id)
    assert case is not None
    question = next_question(survey.answers or {}) or "comment"
    survey.reminded_at = at
    await notify_resident(
        session,
        case,
        "push.survey_reminder",
        {"number": case.number, "question": question_key(question)},
        purpose="survey",
        at=at,
        options=question_options(case.number, question),
        dedup=f"survey_reminder:{case.id}",
        translate=["question"],
    )
    lifecycle.record_event(session, case, "survey_reminded", at=at, actor_kind="system")


async def reminder_missed(
    session: AsyncSession, case_id: int, *, scheduled_for: datetime, at: datetime
) -> None:
    """A reminder a day late is not sent (the survey's own deadline still closes it)."""
    case = await session.get(Case, case_id)
    if case is not None:
        lifecycle.record_event(
            session,
            case,
            "survey_reminder_missed",
            at=at,
            actor_kind="system",
            data={"scheduled_for": scheduled_for.isoformat()},
        )


async def answer(
    session: AsyncSession, case: Case, question: str, value: str | None, *, at: datetime
) -> SurveyProgress:
    """Stores one answer (a tap, or the comment: text or None when skipped). A question
    answered before, or a survey finished or expired, changes nothing."""
    survey = await session.scalar(select(Survey).filter_by(case_id=case.id))
    if survey is None:
        return SurveyProgress(case.number, "not_found")
    if survey.status == "answered":
        return SurveyProgress(case.number, "already")
    if survey.status != "sent":
        return SurveyProgress(case.number, "closed")
    answers = dict(survey.answers or {})
    if question not in QUESTIONS:
        raise ValueError(question)
    if question in answers:  # a second tap on an old button
        return SurveyProgress(case.number, "next", next_question(answers))
    if question == "comment":
        value = value.strip()[:COMMENT_MAX_CHARS] if value and value != SKIP else None
    elif value not in CHOICES[question]:
        raise ValueError(value)
    was_low = _low(survey)
    answers[question] = value
    survey.answers = answers  # a new dict, so the encrypted column is written
    if question == "overall":
        survey.overall = int(value) if value else None
    elif question in ("fair", "fast"):
        setattr(survey, question, value)
    following = next_question(answers)
    if following is None:
        survey.status, survey.answered_at = "answered", at
        lifecycle.record_event(
            session,
            case,
            "survey_answered",
            at=at,
            actor_kind="resident",
            actor_id=case.resident_id,
            data={"overall": survey.overall, "fair": survey.fair, "fast": survey.fast},
        )
        await aftercare.close_if_done(session, case, at=at)
    if _low(survey) and not was_low:
        await _tell_supervisors(session, case, survey, at=at)
    if following is None:
        return SurveyProgress(case.number, "done")
    return SurveyProgress(case.number, "next", following)


def _low(survey: Survey) -> bool:
    return (survey.overall is not None and survey.overall <= LOW_OVERALL) or survey.fair == "no"


async def _tell_supervisors(
    session: AsyncSession, case: Case, survey: Survey, *, at: datetime
) -> None:
    people = await aftercare.people_of(session, case.organization_id, ("supervisor",))
    mediator = await session.get(Mediator, case.mediator_id) if case.mediator_id else None
    told = []
    for person in people:
        sent = await notify_staff(
            session,
            person,
            "push.survey_low_score",
            {
                "number": case.number,
                "category": case.category,
                "mediator": mediator.name if mediator else "-",
                "overall": str(survey.overall) if survey.overall is not None else "-",
                "fair": f"survey.fair.{survey.fair}" if survey.fair else "aftercare.not_answered",
            },
            purpose="survey_low_score",
            at=at,
            case=case,
            options=aftercare.open_case_button(case, person),
            translate=["fair"],
            dedup=f"survey_low:{survey.id}:{person.code}",
        )
        if sent:
            told.append(person.code)
    lifecycle.record_event(
        session,
        case,
        "survey_low_score",
        at=at,
        actor_kind="system",
        data={"overall": survey.overall, "fair": survey.fair, "told": told},
    )
