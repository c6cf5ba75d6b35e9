"""Bookable slots from weekly office hours and day exceptions: pure arithmetic, no database.

Hours and exceptions are written in the county's local time ("09:00" on a weekday or a date);
slots come out as aware UTC datetimes, which is how appointments are stored. Taking out the
slots already booked is the caller's business (backend/booking.py), and the partial unique
index on appointments is what finally keeps two residents off one slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_SLOT_MINUTES = 30


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime
    place: str | None  # where to meet in person; None = video only
    video: bool


@dataclass(frozen=True)
class DayException:
    """A closed day or part of one (leave, a hearing), or extra hours on one date."""

    on_date: date
    kind: str  # closed | extra
    start: str | None = None  # "HH:MM" local; None with `closed` = the whole day
    end: str | None = None


def _clock(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def _window(
    day: date, entry: Mapping[str, Any], zone: ZoneInfo, start: str, end: str
) -> list[Slot]:
    step = timedelta(minutes=int(entry.get("slot_minutes") or DEFAULT_SLOT_MINUTES))
    begin = datetime.combine(day, _clock(start), zone)
    finish = datetime.combine(day, _clock(end), zone)
    slots = []
    while begin + step <= finish:
        slots.append(
            Slot(
                begin.astimezone(UTC),
                (begin + step).astimezone(UTC),
                entry.get("place") or None,
                bool(entry.get("video")),
            )
        )
        begin += step
    return slots


def _closed(slot: Slot, closures: Sequence[DayException], zone: ZoneInfo) -> bool:
    for c in closures:
        if c.start is None or c.end is None:
            return True
        lo = datetime.combine(c.on_date, _clock(c.start), zone)
        hi = datetime.combine(c.on_date, _clock(c.end), zone)
        if slot.starts_at < hi and slot.ends_at > lo:
            return True
    return False


def slots_between(
    hours: Sequence[Mapping[str, Any]],
    exceptions: Iterable[DayException],
    *,
    first_day: date,
    days: int,
    zone: ZoneInfo,
) -> list[Slot]:
    """Every slot on `days` local dates from `first_day`, in time order: the weekly hours of
    each weekday, less closures, plus extra hours (kept like the person's first weekly window:
    its place, slot length and video)."""
    by_day: dict[date, list[DayException]] = {}
    for e in exceptions:
        by_day.setdefault(e.on_date, []).append(e)
    template: Mapping[str, Any] = hours[0] if hours else {"video": True}
    found: dict[datetime, Slot] = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        today = by_day.get(day, [])
        closures = [e for e in today if e.kind == "closed"]
        candidates = [
            s
            for h in hours
            if int(h["weekday"]) == day.isoweekday()
            for s in _window(day, h, zone, h["start"], h["end"])
        ]
        candidates += [
            s
            for e in today
            if e.kind == "extra" and e.start and e.end
            for s in _window(day, template, zone, e.start, e.end)
        ]
        for slot in candidates:
            if not _closed(slot, closures, zone):
                found.setdefault(slot.starts_at, slot)
    return [found[k] for k in sorted(found)]


def free_slots(
    hours: Sequence[Mapping[str, Any]],
    exceptions: Iterable[DayException],
    booked: Iterable[datetime],
    *,
    now: datetime,
    zone: ZoneInfo,
    days: int = 14,
    lead: timedelta = timedelta(hours=2),
) -> list[Slot]:
    """Slots in the next `days` local dates that start at least `lead` from now and are not
    booked."""
    taken = set(booked)
    first_day = now.astimezone(zone).date()
    return [
        s
        for s in slots_between(hours, exceptions, first_day=first_day, days=days, zone=zone)
        if s.starts_at >= now + lead and s.starts_at not in taken
    ]
