"""Test support for after-care: a case filed, taken on and ended through backend functions,
and the after-care jobs run when the test clock says they are due.

`DueJobs` runs the requested jobs (backend/job_requests.py) the way the scheduler does: each
once per planned time, each in its own transaction, a run later than its kind's grace dropped
through `on_missed`. The scheduler's own machinery is tested in tests/scheduler/; one test in
tests/bot/test_survey.py goes through it end to end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backend.clock import ManualClock
from backend.models import Case, CaseEvent, Mediator
from backend.models_scheduling import JobRequest
from backend.records import CaseDraft
from backend.staff_desk import StaffDesk
from scheduler.kinds import run_late
from scheduler.kinds_aftercare import KINDS
from tests.case_setup import accept

BY_NAME = {kind.name: kind for kind in KINDS}
ACCOUNT = "隔壁邻居天天半夜装修，吵得一家人睡不着"


class DueJobs:
    def __init__(self, app, clock: ManualClock) -> None:
        self.app, self.clock = app, clock
        self.done: set[tuple[str, datetime]] = set()
        self.ran: list[str] = []  # "kind:outcome" in order

    async def requests(self, kind: str | None = None) -> list[JobRequest]:
        async with self.app.db.sessions() as session:
            stmt = select(JobRequest).order_by(JobRequest.run_at, JobRequest.id)
            if kind is not None:
                stmt = stmt.filter_by(kind=kind)
            return list(await session.scalars(stmt))

    async def run_due(self) -> list[str]:
        """Runs what is due now (and what those runs ask for that is due too)."""
        ran: list[str] = []
        while True:
            due = [
                r
                for r in await self.requests()
                if r.run_at <= self.clock.now()
                and r.kind in BY_NAME
                and (r.job_id, r.run_at) not in self.done
            ]
            if not due:
                break
            for request in due:
                self.done.add((request.job_id, request.run_at))
                ran.append(await self.run(request))
        self.ran.extend(ran)
        return ran

    async def run(self, request: JobRequest) -> str:
        """One run of a request (tests call it again to run a job twice)."""
        kind = BY_NAME[request.kind]
        now = self.clock.now()
        async with self.app.db.sessions() as session, session.begin():
            if run_late(request.run_at, now, kind.misfire_grace):
                await kind.handler(session, *request.args, at=now)
                return f"{kind.name}:ran"
            if kind.on_missed is not None:
                await kind.on_missed(session, *request.args, scheduled_for=request.run_at, at=now)
            return f"{kind.name}:missed"


async def file_case(app, user_id: str, *, channel: str = "console", locale: str = "zh") -> str:
    """A neighbour dispute in 陈家村, offered to the committee's mediator 周玲芝."""
    draft = CaseDraft(
        description=ACCOUNT,
        category="neighbour",
        town_code="fengqiao",
        village_code="fengqiao.chenjia",
        phone="13812345678",
    )
    async with app.store.dialogue_session(channel, user_id) as unit:
        if locale != "zh":
            await unit.set_locale(locale)
        return (await unit.submit_case(draft)).number


async def end_case(app, number: str, outcome: str, text: str | None = "赔偿300元") -> None:
    """The case's mediator records the outcome (accepting the case first if need be)."""
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        waiting = case.status in ("routed", "escalated", "referred_to_court")
    if waiting:
        await accept(app, number)
    async with app.db.sessions() as session, session.begin():
        case = await session.scalar(select(Case).filter_by(number=number))
        mediator = await session.get(Mediator, case.mediator_id)
        desk = StaffDesk(session, app.store.clock, mediator)
        await desk.record_outcome(number, outcome, text)


async def status_of(app, number: str) -> str:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        return case.status


async def event_kinds(app, number: str) -> list[str]:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        rows = await session.scalars(
            select(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id)
        )
        return [e.kind if e.kind != "status_changed" else f"->{e.to_status}" for e in rows]
