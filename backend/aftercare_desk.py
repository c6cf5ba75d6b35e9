"""After-care as the resident's chat sees it: answering the survey and the agreement follow-up.

Only the sender's own cases: any other case number answers like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import follow_ups, surveys
from backend.aftercare_records import FollowUpReceipt, SurveyProgress
from backend.clock import Clock
from backend.models import Case, Mediator


class AftercareDesk:
    def __init__(self, session: AsyncSession, clock: Clock, resident_id: int) -> None:
        self.session, self.clock, self.resident_id = session, clock, resident_id

    async def _case(self, number: str) -> Case | None:
        return await self.session.scalar(
            select(Case).filter_by(number=number.strip(), resident_id=self.resident_id)
        )

    async def answer_survey(self, number: str, question: str, value: str | None) -> SurveyProgress:
        case = await self._case(number)
        if case is None:
            return SurveyProgress(number, "not_found")
        return await surveys.answer(self.session, case, question, value, at=self.clock.now())

    async def answer_follow_up(self, number: str, answer: str) -> FollowUpReceipt:
        case = await self._case(number)
        if case is None:
            return FollowUpReceipt(number, "not_asked")
        state = await follow_ups.answer_agreement(self.session, case, answer, at=self.clock.now())
        reopened = state == "recorded" and answer in follow_ups.REOPENING
        mediator = await self.session.get(Mediator, case.mediator_id) if case.mediator_id else None
        return FollowUpReceipt(
            case.number,
            state,
            answer,
            reopened=reopened and case.status == "in_mediation",
            mediator_name=mediator.name if mediator else None,
        )
