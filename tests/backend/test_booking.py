"""Booking in the backend: whom the resident books, slots, booking, moving, cancelling, the
other side told, the case's trace, and one slot never booked twice even at the same instant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from backend.booking import BookingDesk
from backend.booking_records import BookingRefused
from backend.models import Case, Mediator
from backend.models_scheduling import Appointment, JobRequest
from backend.records import CaseDraft
from tests.case_setup import accept, case_row, link_chat, pushes

VILLAGE = "fengqiao.chenjia"  # liaison judge: judge_wang (Tue 09:00-11:30, Thu 14:00-16:00)
TUESDAY_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tue 24 Nov, 09:00 in the county


@asynccontextmanager
async def desk_of(app, user_id: str) -> AsyncIterator[BookingDesk]:
    async with app.store.dialogue_session("console", user_id) as unit:
        yield unit.booking_desk


async def file_case(app, user_id: str) -> str:
    draft = CaseDraft(
        description="隔壁邻居天天半夜装修，吵得一家人睡不着",
        category="neighbour",
        town_code="fengqiao",
        village_code=VILLAGE,
        phone="13812345678",
    )
    async with app.store.dialogue_session("console", user_id) as unit:
        return (await unit.submit_case(draft)).number


async def book_judge(app, user_id: str, starts_at: datetime = TUESDAY_9, mode: str = "video"):
    async with desk_of(app, user_id) as desk:
        target = await desk.target(VILLAGE)
        assert target is not None
        return await desk.book(target, starts_at, mode)


async def test_without_a_case_or_village_the_village_must_be_asked(app) -> None:
    async with desk_of(app, "new-resident") as desk:
        assert await desk.target() is None
        target = await desk.target(VILLAGE)
    assert target is not None
    assert (target.mediator_code, target.kind, target.case_number) == (
        "judge_wang",
        "liaison_judge",
        None,
    )


async def test_slots_are_the_judges_next_hours_after_the_lead_time(app, clock) -> None:
    async with desk_of(app, "r1") as desk:
        slots = await desk.slots("judge_wang")
        later = await desk.slots("judge_wang", after=slots[-1].starts_at)
    assert [s.starts_at for s in slots[:2]] == [TUESDAY_9, TUESDAY_9 + timedelta(minutes=30)]
    assert len(slots) == 6 and slots[0].video and slots[0].place == "枫桥人民法庭调解室"
    assert later[0].starts_at > slots[-1].starts_at
    assert all(s.starts_at - clock.now() >= timedelta(hours=2) for s in slots + later)


async def test_booking_by_video_tells_the_judge_and_plans_the_reminders(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    booked = await book_judge(app, "r1")
    assert booked.status == "booked" and booked.mode == "video"
    assert booked.video_link and booked.video_link.startswith("https://meet.jit.si/jiefen-")
    assert len(booked.video_link) > len("https://meet.jit.si/jiefen-") + 12
    [(row, text)] = await pushes(app, "appointment")
    assert row.recipient == "judge-wang" and "11月24日 09:00" in text.text
    async with app.db.sessions() as session:
        jobs = {j.job_id: j for j in await session.scalars(select(JobRequest))}
    a = booked.id
    assert set(jobs) == {
        f"appointment:{a}:remind:24h",
        f"appointment:{a}:remind:2h",
        f"appointment:{a}:no_show_check",
    }
    assert jobs[f"appointment:{a}:remind:24h"].run_at == TUESDAY_9 - timedelta(hours=24)
    assert jobs[f"appointment:{a}:remind:2h"].args == [a, "2h"]
    assert jobs[f"appointment:{a}:no_show_check"].run_at == booked.ends_at + timedelta(days=1)


async def test_in_person_needs_a_place_and_a_slot_on_offer(app, clock) -> None:
    async with desk_of(app, "r1") as desk:
        target = await desk.target(VILLAGE)
        assert target is not None
        with pytest.raises(BookingRefused) as not_offered:
            await desk.book(target, TUESDAY_9 + timedelta(minutes=10), "in_person")
        thursday = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # Thu 14:00: in person only
        with pytest.raises(BookingRefused) as no_video:
            await desk.book(target, thursday, "video")
        booked = await desk.book(target, thursday, "in_person")
    assert not_offered.value.reason == no_video.value.reason == "gone"
    assert booked.place == "枫桥镇桥亭村便民服务中心" and booked.video_link is None
    clock.set(TUESDAY_9 - timedelta(hours=1))  # now within the two-hour lead
    async with desk_of(app, "r2") as desk:
        target = await desk.target(VILLAGE)
        assert target is not None
        with pytest.raises(BookingRefused) as too_soon:
            await desk.book(target, TUESDAY_9, "video")
    assert too_soon.value.reason == "gone"


async def test_the_mediator_of_an_open_case_is_booked_and_the_case_is_scheduled(app) -> None:
    number = await file_case(app, "r1")
    await accept(app, number)
    case = await case_row(app, number)
    hours = [
        {"weekday": 2, "start": "19:00", "end": "20:00", "slot_minutes": 30, "place": "文化礼堂"}
    ]
    async with app.db.sessions() as session, session.begin():
        await session.execute(
            update(Mediator).where(Mediator.id == case.mediator_id).values(office_hours=hours)
        )
    async with desk_of(app, "r1") as desk:
        target = await desk.target()
        assert target is not None and target.kind == "case_mediator"
        assert target.case_number == number
        [first, *_] = await desk.slots(target.mediator_code)
        booked = await desk.book(target, first.starts_at, "in_person")
    assert booked.case_number == number and booked.place == "文化礼堂"
    case = await case_row(app, number)
    assert case.status == "scheduled"
    assert "appointment_booked" in [e.kind for e in case.events]
    async with desk_of(app, "r1") as desk:
        await desk.cancel(booked.id)
    case = await case_row(app, number)
    assert case.status == "accepted"  # its only appointment is gone
    assert [e.kind for e in case.events][-2:] == ["appointment_cancelled", "status_changed"]


async def test_rescheduling_makes_a_new_appointment_and_frees_the_old_slot(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    old = await book_judge(app, "r1")
    async with desk_of(app, "r1") as desk:
        new = await desk.reschedule(old.id, TUESDAY_9 + timedelta(hours=1), "in_person")
        [shown] = await desk.upcoming()
    assert shown.id == new.id and new.place == "枫桥人民法庭调解室"
    async with app.db.sessions() as session:
        rows = {a.id: a for a in await session.scalars(select(Appointment))}
    assert rows[old.id].status == "rescheduled"
    assert rows[new.id].rescheduled_from_id == old.id and rows[new.id].status == "booked"
    texts = [t.text for _, t in await pushes(app, "appointment")]
    assert "改期" in texts[-1] and "09:00" in texts[-1] and "10:00" in texts[-1]
    again = await book_judge(app, "r2")  # the old time is free again
    assert again.starts_at == TUESDAY_9


async def test_cancelling_tells_the_judge_and_only_the_owner_may(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    booked = await book_judge(app, "r1")
    async with desk_of(app, "someone-else") as desk:
        with pytest.raises(BookingRefused) as refused:
            await desk.cancel(booked.id)
    assert refused.value.reason == "not_found"
    async with desk_of(app, "r1") as desk:
        await desk.cancel(booked.id)
        assert await desk.upcoming() == []
        with pytest.raises(BookingRefused) as twice:
            await desk.cancel(booked.id)
    assert twice.value.reason == "not_booked"
    texts = [t.text for _, t in await pushes(app, "appointment")]
    assert "取消" in texts[-1] and "11月24日 09:00" in texts[-1]


async def test_two_residents_tapping_one_slot_at_once_get_it_once(app) -> None:
    async def attempt(user_id: str) -> str:
        async with desk_of(app, user_id) as desk:
            target = await desk.target(VILLAGE)
            assert target is not None
            await desk.slots(target.mediator_code)  # both saw the slot free
            try:
                await desk.book(target, TUESDAY_9, "video")
            except BookingRefused as refused:
                return refused.reason
            return "booked"

    results = await asyncio.gather(*(attempt(f"racer-{i}") for i in range(4)))
    assert sorted(results) == ["booked", "taken", "taken", "taken"]
    async with app.db.sessions() as session:
        booked = list(await session.scalars(select(Appointment).filter_by(status="booked")))
    assert len(booked) == 1


async def test_a_case_of_someone_else_is_never_linked(app) -> None:
    number = await file_case(app, "owner")
    async with desk_of(app, "stranger") as desk:
        target = await desk.target(VILLAGE)
    assert target is not None and target.case_number is None
    async with desk_of(app, "owner") as desk:
        target = await desk.target()
    assert target is not None and target.case_number == number  # the case's village, its judge
    assert (await case_row(app, number)).status in ("routed", "new")
    async with app.db.sessions() as session:
        assert await session.scalar(select(Case.village_code).filter_by(number=number)) == VILLAGE
