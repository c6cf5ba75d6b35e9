"""A judge's or mediator's side of booking: their hours, days off and extra hours, their
appointments, and what happened at one (held, or the resident did not come).

Closing a day cancels the appointments booked on it and tells each resident, with a button to
pick another time: nobody should travel to a locked door.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.booking_common import (
    BookingConfig,
    exceptions_of,
    mark_cancelled,
    push,
    push_params,
    record_on_case,
    view,
)
from backend.booking_records import AppointmentView, BookingRefused, ExceptionView, HoursView
from backend.booking_slots import DayException, slots_between
from backend.clock import Clock
from backend.models import Mediator
from backend.models_scheduling import Appointment, AvailabilityException

ATTENDANCE = ("held", "no_show")
SHOWN_APPOINTMENTS = 8


def _exception_view(e: AvailabilityException) -> ExceptionView:
    return ExceptionView(e.id, date.fromisoformat(e.on_date), e.kind, e.start, e.end)


class StaffBookingDesk:
    def __init__(
        self, session: AsyncSession, clock: Clock, staff: Mediator, config: BookingConfig
    ) -> None:
        self.session, self.clock, self.staff, self.config = session, clock, staff, config

    def _today(self) -> date:
        return self.clock.now().astimezone(self.config.zone).date()

    async def hours(self) -> HoursView:
        today = self._today()
        rows = await exceptions_of(
            self.session, self.staff.id, today, today + timedelta(days=self.config.days)
        )
        return HoursView(
            weekly=list(self.staff.office_hours or []),
            exceptions=[_exception_view(e) for e in rows],
            appointments=(await self.appointments())[:SHOWN_APPOINTMENTS],
        )

    async def open_days(self) -> list[date]:
        """The dates ahead on which the person holds hours (the days that may be closed)."""
        today = self._today()
        rows = await exceptions_of(
            self.session, self.staff.id, today, today + timedelta(days=self.config.days)
        )
        slots = slots_between(
            self.staff.office_hours or [],
            [DayException(date.fromisoformat(e.on_date), e.kind, e.start, e.end) for e in rows],
            first_day=today,
            days=self.config.days,
            zone=self.config.zone,
        )
        return sorted({s.starts_at.astimezone(self.config.zone).date() for s in slots})

    async def close_day(self, on_date: date, note: str | None = None) -> list[AppointmentView]:
        """Closes the whole day; returns the appointments it cancelled (residents are told)."""
        now = self.clock.now()
        self.session.add(
            AvailabilityException(
                mediator_id=self.staff.id,
                on_date=on_date.isoformat(),
                kind="closed",
                note=note,
                created_at=now,
            )
        )
        zone = self.config.zone
        start = datetime.combine(on_date, datetime.min.time(), zone)
        booked = await self.session.scalars(
            select(Appointment)
            .where(
                Appointment.mediator_id == self.staff.id,
                Appointment.status == "booked",
                Appointment.starts_at >= start,
                Appointment.starts_at < start + timedelta(days=1),
            )
            .options(selectinload(Appointment.case))
            .with_for_update()
        )
        cancelled = []
        for appt in booked:
            await self._cancel(appt, now, "booking.push.day_closed")
            cancelled.append(view(appt, self.staff, appt.case.number if appt.case else None))
        return cancelled

    async def add_hours(self, on_date: date, start: str, end: str) -> ExceptionView:
        row = AvailabilityException(
            mediator_id=self.staff.id,
            on_date=on_date.isoformat(),
            kind="extra",
            start=start,
            end=end,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return _exception_view(row)

    async def appointments(self) -> list[AppointmentView]:
        """Booked appointments not yet over, soonest first."""
        rows = await self.session.scalars(
            select(Appointment)
            .where(
                Appointment.mediator_id == self.staff.id,
                Appointment.status == "booked",
                Appointment.ends_at > self.clock.now() - timedelta(days=1),
            )
            .options(selectinload(Appointment.case))
            .order_by(Appointment.starts_at)
        )
        return [view(a, self.staff, a.case.number if a.case else None) for a in rows]

    async def _own(self, appointment_id: int) -> Appointment:
        appt = await self.session.scalar(
            select(Appointment)
            .where(Appointment.id == appointment_id, Appointment.mediator_id == self.staff.id)
            .options(selectinload(Appointment.case))
            .with_for_update()
        )
        if appt is None:
            raise BookingRefused("not_found")
        return appt

    async def record_attendance(self, appointment_id: int, outcome: str) -> AppointmentView:
        """Held or no-show, once the appointment has begun; a no-show recorded by the daily
        check may still be corrected to held."""
        if outcome not in ATTENDANCE:
            raise ValueError(f"unknown attendance {outcome!r}")
        appt = await self._own(appointment_id)
        now = self.clock.now()
        if appt.status not in ("booked", "no_show") or appt.status == outcome:
            raise BookingRefused("not_booked")
        if now < appt.starts_at:
            raise BookingRefused("too_early")
        appt.status, appt.updated_at = outcome, now
        record_on_case(
            self.session,
            appt.case,
            f"appointment_{outcome}",
            appt,
            at=now,
            actor_kind="mediator",
            actor_id=self.staff.id,
        )
        if outcome == "no_show":
            await push(
                self.session,
                appt.resident_id,
                "booking.push.missed",
                push_params(appt, self.staff, appt.case),
                at=now,
                case_id=appt.case_id,
                dedup=f"appointment:{appt.id}:missed",
                options=[{"label_key": "booking.option.book_again", "payload": "cmd:book"}],
            )
        return view(appt, self.staff, appt.case.number if appt.case else None)

    async def cancel(self, appointment_id: int) -> AppointmentView:
        appt = await self._own(appointment_id)
        if appt.status != "booked" or appt.ends_at <= self.clock.now():
            raise BookingRefused("not_booked")
        await self._cancel(appt, self.clock.now(), "booking.push.cancelled_by_staff")
        return view(appt, self.staff, appt.case.number if appt.case else None)

    async def _cancel(self, appt: Appointment, now: datetime, key: str) -> None:
        await mark_cancelled(
            self.session, appt, at=now, actor_kind="mediator", actor_id=self.staff.id
        )
        await push(
            self.session,
            appt.resident_id,
            key,
            push_params(appt, self.staff, appt.case),
            at=now,
            case_id=appt.case_id,
            dedup=f"appointment:{appt.id}:cancelled",
            options=[{"label_key": "booking.option.book_again", "payload": "cmd:book"}],
        )
