"""Plain records of booking as the dialogue sees it (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# What a booking may be refused for; each has a text in booking.po (booking.refused.<reason>).
REASONS = (
    "taken",  # someone booked the slot a moment earlier
    "gone",  # the slot is no longer offered (hours changed, too soon now)
    "not_found",  # no such appointment of this person
    "not_booked",  # cancelled, rescheduled or over already
    "no_hours",  # the person has no bookable hours
    "too_early",  # attendance recorded before the appointment began
)


class BookingRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BookingTarget:
    """Whom the resident books: the mediator handling their open case, or their village's
    liaison judge."""

    mediator_code: str
    name: str
    role: str  # judge | mediator | admin
    kind: str  # case_mediator | liaison_judge
    case_number: str | None
    village_code: str | None


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    place: str | None
    video: bool


@dataclass(frozen=True)
class AppointmentView:
    id: int
    starts_at: datetime
    ends_at: datetime
    mode: str  # in_person | video
    place: str | None
    video_link: str | None
    status: str  # booked | cancelled | rescheduled | held | no_show
    mediator_code: str
    mediator_name: str
    mediator_role: str
    case_number: str | None


@dataclass(frozen=True)
class ExceptionView:
    id: int
    on_date: date
    kind: str  # closed | extra
    start: str | None
    end: str | None


@dataclass(frozen=True)
class HoursView:
    """A staff member's bookable hours as their chat shows them."""

    weekly: list[dict[str, object]]
    exceptions: list[ExceptionView]
    appointments: list[AppointmentView]
