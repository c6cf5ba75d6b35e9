"""Slots from weekly hours and exceptions: local hours, UTC out, closures, extra hours, lead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from backend.booking_slots import DayException, free_slots, slots_between

ZONE = ZoneInfo("Asia/Shanghai")
WED_MORNING = {
    "weekday": 3,
    "start": "09:00",
    "end": "11:30",
    "slot_minutes": 30,
    "place": "调解室",
}
FRIDAY = date(2026, 11, 20)  # a Friday
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in the county


def local(slot_time: datetime) -> str:
    return slot_time.astimezone(ZONE).strftime("%a %m-%d %H:%M")


def test_weekly_hours_become_utc_slots_on_that_weekday() -> None:
    slots = slots_between([WED_MORNING], [], first_day=FRIDAY, days=7, zone=ZONE)
    assert [local(s.starts_at) for s in slots] == [
        "Wed 11-25 09:00",
        "Wed 11-25 09:30",
        "Wed 11-25 10:00",
        "Wed 11-25 10:30",
        "Wed 11-25 11:00",
    ]
    assert slots[0].starts_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=30)
    assert (slots[0].place, slots[0].video) == ("调解室", False)


def test_a_window_that_does_not_divide_evenly_keeps_whole_slots_only() -> None:
    hours = [dict(WED_MORNING, slot_minutes=45)]
    slots = slots_between(hours, [], first_day=FRIDAY, days=7, zone=ZONE)
    assert [local(s.starts_at)[-5:] for s in slots] == ["09:00", "09:45", "10:30"]


def test_closed_days_and_closed_hours_are_left_out() -> None:
    wed = date(2026, 11, 25)
    whole = slots_between(
        [WED_MORNING], [DayException(wed, "closed")], first_day=FRIDAY, days=7, zone=ZONE
    )
    assert whole == []
    part = slots_between(
        [WED_MORNING],
        [DayException(wed, "closed", "09:45", "10:30")],
        first_day=FRIDAY,
        days=7,
        zone=ZONE,
    )
    assert [local(s.starts_at)[-5:] for s in part] == ["09:00", "10:30", "11:00"]


def test_extra_hours_borrow_place_and_length_of_the_weekly_hours() -> None:
    sat = date(2026, 11, 21)
    slots = slots_between(
        [WED_MORNING],
        [DayException(sat, "extra", "14:00", "15:00")],
        first_day=FRIDAY,
        days=2,
        zone=ZONE,
    )
    assert [(local(s.starts_at), s.place) for s in slots] == [
        ("Sat 11-21 14:00", "调解室"),
        ("Sat 11-21 14:30", "调解室"),
    ]


def test_free_slots_skip_booked_and_too_soon_and_stay_in_the_window() -> None:
    today = {"weekday": 5, "start": "09:00", "end": "13:00", "slot_minutes": 60, "place": "x"}
    booked = [datetime(2026, 11, 20, 4, 0, tzinfo=UTC)]  # Friday 12:00 local
    slots = free_slots([today], [], booked, now=NOW, zone=ZONE, days=14)
    # 09:00-11:00 are past or within two hours, 12:00 is booked: next Friday comes next
    assert [local(s.starts_at) for s in slots][:2] == ["Fri 11-27 09:00", "Fri 11-27 10:00"]
    assert all(s.starts_at < NOW + timedelta(days=14) for s in slots)
    assert len(slots) == 4  # one more Friday (27th) fits in 14 days; 4 Dec is day 15


def test_slots_follow_the_county_zone_not_utc() -> None:
    late = {"weekday": 1, "start": "07:00", "end": "07:30", "place": "x"}
    slots = slots_between([late], [], first_day=date(2026, 11, 23), days=1, zone=ZONE)
    # Monday 07:00 in Shanghai is Sunday 23:00 UTC
    assert slots[0].starts_at == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
