"""Appointment reminders and the no-show check (backend/booking_jobs.py): called directly with
the clock moved, then once end to end through the real scheduler across a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.booking_jobs import check_no_show, reminder_missed, send_reminder
from backend.booking_records import BookingRefused
from backend.models import OutboxMessage
from backend.models_scheduling import Appointment
from backend.records import CaseDraft
from scheduler.kinds_booking import KINDS
from scheduler.service import SchedulerService
from tests.case_setup import case_row, link_chat, pushes
from tests.waiting import until

VILLAGE = "fengqiao.chenjia"  # liaison judge judge_wang
TUESDAY_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in the county
DAY_BEFORE, TWO_HOURS_BEFORE = TUESDAY_9 - timedelta(hours=24), TUESDAY_9 - timedelta(hours=2)


async def book(app, user_id: str = "villager", *, with_case: bool = False) -> int:
    async with app.store.dialogue_session("console", user_id) as unit:
        if with_case:
            await unit.submit_case(
                CaseDraft(
                    description="邻居的树挡了我家的光",
                    category="neighbour",
                    town_code="fengqiao",
                    village_code=VILLAGE,
                )
            )
        desk = unit.booking_desk
        target = await desk.target(VILLAGE)
        assert target is not None
        return (await desk.book(target, TUESDAY_9, "in_person")).id


async def run(app, handler, *args, at: datetime, **kwargs) -> None:
    async with app.db.sessions() as session, session.begin():
        await handler(session, *args, at=at, **kwargs)


async def appointment(app, appointment_id: int) -> Appointment:
    async with app.db.sessions() as session:
        found = await session.get(Appointment, appointment_id)
    assert found is not None
    return found


async def test_both_sides_are_reminded_once_even_if_the_job_runs_twice(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    appt = await book(app)
    for _ in range(2):
        await run(app, send_reminder, appt, "24h", at=DAY_BEFORE)
    sent = await pushes(app, "appointment_reminder")
    assert [row.recipient for row, _ in sent] == ["villager", "judge-wang"]
    assert [row.dedup_key for row, _ in sent] == [
        f"appointment:{appt}:remind:24h:resident",
        f"appointment:{appt}:remind:24h:staff",
    ]
    resident, judge = (text for _, text in sent)
    assert resident.text.startswith("提醒：明天 11月24日 09:00 您约了王秀英（当面）")
    assert [o.payload for o in resident.options] == [
        f"appt:reschedule:{appt}",
        f"appt:cancel:{appt}",
    ]
    assert [o.payload for o in judge.options] == [f"appt:held:{appt}", f"appt:no_show:{appt}"]
    await run(app, send_reminder, appt, "2h", at=TWO_HOURS_BEFORE + timedelta(minutes=1))
    assert len(await pushes(app, "appointment_reminder")) == 4


async def test_a_cancelled_appointment_is_not_reminded(app) -> None:
    appt = await book(app)
    async with app.store.dialogue_session("console", "villager") as unit:
        await unit.booking_desk.cancel(appt)
    await run(app, send_reminder, appt, "24h", at=DAY_BEFORE)
    await run(app, check_no_show, appt, at=TUESDAY_9 + timedelta(days=1, minutes=30))
    assert await pushes(app, "appointment_reminder") == []
    assert (await appointment(app, appt)).status == "cancelled"


async def test_an_hour_late_still_goes_a_day_late_is_dropped_and_recorded(app) -> None:
    appt = await book(app, with_case=True)
    await run(app, send_reminder, appt, "24h", at=DAY_BEFORE + timedelta(hours=1))
    assert len(await pushes(app, "appointment_reminder")) == 1  # the resident (judge unlinked)
    await run(app, send_reminder, appt, "2h", at=TWO_HOURS_BEFORE + timedelta(minutes=100))
    assert len(await pushes(app, "appointment_reminder")) == 1  # would come after the start
    case = await case_row(app, (await appointment(app, appt)).case_id and await _number(app))
    missed = [e for e in case.events if e.kind == "appointment_reminder_missed"]
    assert [e.data["which"] for e in missed] == ["2h"]
    assert missed[0].data["scheduled_for"] == TWO_HOURS_BEFORE.isoformat()
    # the scheduler's own drop (late beyond the kind's grace) is recorded the same way
    await run(
        app, reminder_missed, appt, "24h", scheduled_for=DAY_BEFORE, at=DAY_BEFORE + timedelta(1)
    )
    case = await case_row(app, await _number(app))
    assert [e.data["which"] for e in case.events if e.kind == "appointment_reminder_missed"] == [
        "2h",
        "24h",
    ]


async def _number(app) -> str:
    async with app.db.sessions() as session:
        from backend.models import Case

        return (await session.scalars(select(Case.number))).one()


async def test_without_a_case_a_dropped_reminder_is_a_log_line(app, caplog) -> None:
    appt = await book(app)
    with caplog.at_level(logging.WARNING, logger="backend.booking_jobs"):
        await run(app, send_reminder, appt, "24h", at=DAY_BEFORE + timedelta(days=1, hours=1))
    assert f"appointment {appt}: 24h reminder" in caplog.text and "dropped" in caplog.text
    assert await pushes(app, "appointment_reminder") == []


async def test_no_outcome_a_day_later_is_a_no_show_the_judge_may_correct(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    appt = await book(app, with_case=True)
    await run(app, check_no_show, appt, at=TUESDAY_9 + timedelta(hours=3))  # too soon: ignored
    assert (await appointment(app, appt)).status == "booked"
    await run(app, check_no_show, appt, at=TUESDAY_9 + timedelta(days=1, minutes=30))
    assert (await appointment(app, appt)).status == "no_show"
    case = await case_row(app, await _number(app))
    assert case.events[-1].kind == "appointment_no_show"
    assert case.events[-1].data["recorded_by"] == "no_show_check"
    told = {row.recipient: text for row, text in await pushes(app, "appointment")}
    assert "已记为“未到场”" in told["judge-wang"].text
    assert "记为未到场" in told["villager"].text
    app.store.clock.set(TUESDAY_9 + timedelta(days=1, hours=1))
    async with app.store.dialogue_session("console", "judge-wang") as unit:
        desk = await unit.staff_booking_desk()
        assert desk is not None
        corrected = await desk.record_attendance(appt, "held")
        try:
            await desk.record_attendance(appt, "held")
        except BookingRefused as refused:
            assert refused.reason == "not_booked"
    assert corrected.status == "held"
    case = await case_row(app, await _number(app))
    assert case.events[-1].kind == "appointment_held"


def test_the_misfire_policy_is_deliberate() -> None:
    kinds = {k.name: k for k in KINDS}
    assert kinds["appointment_reminder"].misfire_grace == timedelta(hours=6)
    assert kinds["appointment_reminder"].on_missed is reminder_missed
    assert kinds["appointment_no_show_check"].misfire_grace is None  # a record, however late


async def test_reminders_and_the_no_show_check_through_the_scheduler(app, clock) -> None:
    """End to end: the booking asks for its jobs; the scheduler plans them, a restart loses
    nothing, each reminder fires at its time and the no-show is recorded a day after."""
    await link_chat(app, "judge_wang", "judge-wang")
    appt = await book(app)

    def scheduler() -> SchedulerService:
        return SchedulerService(
            app.db,
            app.settings.resolved_database_url,
            clock,
            clock.sleep,
            timezone="Asia/Shanghai",
        )

    @contextlib.asynccontextmanager
    async def running(svc: SchedulerService):
        task = asyncio.create_task(svc.run_forever())
        try:
            await until(
                lambda: svc.loop is not None and svc.loop.rounds and clock.sleeping, "round"
            )
            yield svc
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def advance_to(svc: SchedulerService, moment: datetime) -> None:
        assert svc.loop is not None
        before = svc.loop.rounds
        clock.set(moment)
        await until(lambda: svc.loop.rounds > before and clock.sleeping, "the next round")

    async def reminders() -> list[str]:
        async with app.db.sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage.dedup_key)
                .filter_by(purpose="appointment_reminder")
                .order_by(OutboxMessage.id)
            )
            return list(rows)

    async with running(scheduler()) as svc:
        await advance_to(svc, DAY_BEFORE - timedelta(minutes=1))
        assert await reminders() == []
    async with running(scheduler()) as svc:  # a restart: the jobs are in the database
        await advance_to(svc, DAY_BEFORE)
        assert await reminders() == [
            f"appointment:{appt}:remind:24h:resident",
            f"appointment:{appt}:remind:24h:staff",
        ]
        await advance_to(svc, TWO_HOURS_BEFORE)
        assert len(await reminders()) == 4
        await advance_to(svc, TUESDAY_9 + timedelta(days=1, minutes=30))
        assert (await appointment(app, appt)).status == "no_show"
    assert len(await reminders()) == 4
