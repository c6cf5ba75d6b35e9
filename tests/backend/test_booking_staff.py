"""The staff side of booking in the backend: days with hours, closing a day (its appointments
cancelled and the residents told), extra hours that residents can book, attendance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.booking_records import BookingRefused
from tests.case_setup import link_chat, pushes

VILLAGE = "fengqiao.chenjia"  # liaison judge judge_wang: Tue 09:00-11:30, Thu 14:00-16:00
TUESDAY, THURSDAY, SATURDAY = date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 21)
TUESDAY_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


async def with_desk(app, action):
    async with app.store.dialogue_session("console", "judge-wang") as unit:
        desk = await unit.staff_booking_desk()
        assert desk is not None
        return await action(desk)


async def book(app, user_id: str, starts_at: datetime = TUESDAY_9, mode: str = "video") -> int:
    async with app.store.dialogue_session("console", user_id) as unit:
        target = await unit.booking_desk.target(VILLAGE)
        assert target is not None
        return (await unit.booking_desk.book(target, starts_at, mode)).id


async def test_someone_who_is_not_staff_has_no_staff_desk(app) -> None:
    async with app.store.dialogue_session("console", "villager") as unit:
        assert await unit.staff_booking_desk() is None


async def test_open_days_are_the_days_with_hours_ahead(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    days = await with_desk(app, lambda d: d.open_days())
    assert days == [TUESDAY, THURSDAY, TUESDAY + timedelta(7), THURSDAY + timedelta(7)]


async def test_closing_a_day_cancels_its_appointments_and_tells_the_residents(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    first = await book(app, "villager-1")
    await book(app, "villager-2", TUESDAY_9 + timedelta(minutes=30))
    thursday = await book(app, "villager-3", datetime(2026, 11, 26, 6, 0, tzinfo=UTC), "in_person")
    cancelled = await with_desk(app, lambda d: d.close_day(TUESDAY))
    assert sorted(a.id for a in cancelled) == [first, first + 1]
    told = [(row.recipient, text) for row, text in await pushes(app, "appointment")]
    to_residents = [(r, t) for r, t in told if r.startswith("villager")]
    assert [r for r, _ in to_residents] == ["villager-1", "villager-2"]
    assert all("临时有事不能接待" in t.text for _, t in to_residents)
    assert [o.payload for o in to_residents[0][1].options] == ["cmd:book"]
    view = await with_desk(app, lambda d: d.hours())
    assert [a.id for a in view.appointments] == [thursday]
    assert [(e.on_date, e.kind) for e in view.exceptions] == [(TUESDAY, "closed")]
    async with app.store.dialogue_session("console", "villager-1") as unit:
        slots = await unit.booking_desk.slots("judge_wang", limit=50)
    assert not any(s.starts_at.date() == TUESDAY for s in slots)


async def test_extra_hours_can_be_booked(app) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    added = await with_desk(app, lambda d: d.add_hours(SATURDAY, "14:00", "15:00"))
    assert (added.kind, added.start, added.end) == ("extra", "14:00", "15:00")
    async with app.store.dialogue_session("console", "villager") as unit:
        first, second, *_ = await unit.booking_desk.slots("judge_wang")
    assert first.starts_at == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)  # Sat 14:00 local
    assert second.starts_at == first.starts_at + timedelta(minutes=30)
    assert first.place == "枫桥人民法庭调解室" and first.video  # like the weekly hours


async def test_attendance_only_once_begun_and_only_for_ones_own(app, clock) -> None:
    await link_chat(app, "judge_wang", "judge-wang")
    appt = await book(app, "villager")
    with pytest.raises(BookingRefused) as early:
        await with_desk(app, lambda d: d.record_attendance(appt, "held"))
    assert early.value.reason == "too_early"
    clock.set(TUESDAY_9 + timedelta(minutes=5))
    held = await with_desk(app, lambda d: d.record_attendance(appt, "held"))
    assert held.status == "held"
    await link_chat(app, "judge_chen", "judge-chen")
    async with app.store.dialogue_session("console", "judge-chen") as unit:
        other = await unit.staff_booking_desk()
        assert other is not None
        with pytest.raises(BookingRefused) as not_theirs:
            await other.cancel(appt)
    assert not_theirs.value.reason == "not_found"
