"""A resident books, moves or cancels an hour with their village's judge or their mediator.

Whom: the mediator handling the resident's open case when that person holds bookable hours,
else the liaison judge of the resident's village (Place.liaison_judge_code). Double booking is
left to the partial unique index on appointments (mediator, start) WHERE status = 'booked':
the insert runs in a savepoint, and the loser of a race hears "just taken" with fresh slots
while the rest of their message's work commits. Every change tells the other side through the
outbox and asks for its reminders in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.booking_common import (
    BookingConfig,
    mark_cancelled,
    mark_scheduled,
    open_slots,
    plan_jobs,
    push,
    push_params,
    record_on_case,
    view,
)
from backend.booking_records import (
    AppointmentView,
    BookingRefused,
    BookingTarget,
    SlotView,
)
from backend.clock import Clock
from backend.models import Case, Mediator
from backend.models_scheduling import Appointment
from backend.routing import liaison_judge
from backend.statuses import OPEN_STATUSES, CaseStatus

IN_HAND = (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED, CaseStatus.IN_MEDIATION)
MODES = ("in_person", "video")


class BookingDesk:
    """The sender's appointments, bound to one unit of work."""

    def __init__(
        self, session: AsyncSession, clock: Clock, resident_id: int, config: BookingConfig
    ) -> None:
        self.session, self.clock, self.resident_id = session, clock, resident_id
        self.config = config

    async def _open_cases(self) -> list[Case]:
        rows = await self.session.scalars(
            select(Case)
            .where(
                Case.resident_id == self.resident_id,
                Case.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .options(selectinload(Case.mediator))
            .order_by(Case.created_at.desc(), Case.id.desc())
        )
        return list(rows)

    async def target(self, village_code: str | None = None) -> BookingTarget | None:
        """Whom to book; None when the village must be asked first."""
        cases = await self._open_cases()
        for case in cases:
            m = case.mediator
            if case.status in IN_HAND and m is not None and m.active and m.office_hours:
                return BookingTarget(
                    m.code, m.name, m.role, "case_mediator", case.number, case.village_code
                )
        if village_code is None:
            village_code = await self.session.scalar(
                select(Case.village_code)
                .where(Case.resident_id == self.resident_id, Case.village_code.is_not(None))
                .order_by(Case.created_at.desc(), Case.id.desc())
                .limit(1)
            )
        if village_code is None:  # the village of their last appointment, if any
            village_code = await self.session.scalar(
                select(Appointment.village_code)
                .where(
                    Appointment.resident_id == self.resident_id,
                    Appointment.village_code.is_not(None),
                )
                .order_by(Appointment.id.desc())
                .limit(1)
            )
        if village_code is None:
            return None
        judge = await liaison_judge(self.session, village_code)
        if judge is None:
            return None
        case = next((c for c in cases if c.village_code == village_code), None)
        return BookingTarget(
            judge.code,
            judge.name,
            judge.role,
            "liaison_judge",
            case.number if case else None,
            village_code,
        )

    async def _mediator(self, code: str) -> Mediator:
        mediator = await self.session.scalar(select(Mediator).filter_by(code=code, active=True))
        if mediator is None or not mediator.office_hours:
            raise BookingRefused("no_hours")
        return mediator

    async def slots(
        self, mediator_code: str, *, after: datetime | None = None, limit: int = 6
    ) -> list[SlotView]:
        """The next free slots (after `after` for "later dates")."""
        mediator = await self._mediator(mediator_code)
        found = await open_slots(self.session, mediator, self.config, now=self.clock.now())
        return [
            SlotView(s.starts_at, s.ends_at, s.place, s.video)
            for s in found
            if after is None or s.starts_at > after
        ][:limit]

    async def book(self, target: BookingTarget, starts_at: datetime, mode: str) -> AppointmentView:
        mediator = await self._mediator(target.mediator_code)
        case = await self._case(target.case_number)
        appt = await self._insert(mediator, case, starts_at, mode, target.village_code, None)
        now = self.clock.now()
        record_on_case(
            self.session,
            case,
            "appointment_booked",
            appt,
            at=now,
            actor_kind="resident",
            actor_id=self.resident_id,
            data={"mediator": mediator.code, "mode": mode},
        )
        mark_scheduled(self.session, case, mediator, at=now, actor=self.resident_id)
        await push(
            self.session,
            mediator.resident_id,
            "booking.push.booked",
            push_params(appt, mediator, case),
            at=now,
            case_id=appt.case_id,
            dedup=f"appointment:{appt.id}:booked",
            options=[{"label_key": "booking.hours.open", "payload": "cmd:hours"}],
        )
        return view(appt, mediator, case.number if case else None)

    async def _case(self, number: str | None) -> Case | None:
        if number is None:
            return None
        case = await self.session.scalar(
            select(Case).where(Case.number == number, Case.resident_id == self.resident_id)
        )
        return case if case is not None and case.status in OPEN_STATUSES else None

    async def _insert(
        self,
        mediator: Mediator,
        case: Case | None,
        starts_at: datetime,
        mode: str,
        village_code: str | None,
        rescheduled_from: int | None,
    ) -> Appointment:
        """The new appointment, or BookingRefused: "gone" when the slot is no longer offered,
        "taken" when the unique index says someone else holds it."""
        now = self.clock.now()
        offered = await open_slots(self.session, mediator, self.config, now=now, count_booked=False)
        slot = next((s for s in offered if s.starts_at == starts_at), None)
        fits = slot is not None and (slot.video if mode == "video" else bool(slot.place))
        if slot is None or mode not in MODES or not fits:
            raise BookingRefused("gone")
        appt = Appointment(
            case_id=case.id if case else None,
            resident_id=self.resident_id,
            mediator_id=mediator.id,
            village_code=village_code,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            mode=mode,
            place=slot.place if mode == "in_person" else None,
            video_link=self.config.video_link() if mode == "video" else None,
            status="booked",
            booked_by="resident",
            rescheduled_from_id=rescheduled_from,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(appt)
                await self.session.flush()
        except IntegrityError:
            raise BookingRefused("taken") from None
        await plan_jobs(self.session, appt, at=now)
        return appt

    # --- the resident's own appointments -----------------------------------------------

    async def upcoming(self) -> list[AppointmentView]:
        """Booked appointments not yet over, soonest first."""
        rows = await self.session.scalars(
            select(Appointment)
            .where(
                Appointment.resident_id == self.resident_id,
                Appointment.status == "booked",
                Appointment.ends_at > self.clock.now(),
            )
            .options(selectinload(Appointment.mediator), selectinload(Appointment.case))
            .order_by(Appointment.starts_at)
        )
        return [view(a, a.mediator, a.case.number if a.case else None) for a in rows]

    async def _own(self, appointment_id: int) -> Appointment:
        appt = await self.session.scalar(
            select(Appointment)
            .where(Appointment.id == appointment_id, Appointment.resident_id == self.resident_id)
            .options(selectinload(Appointment.mediator), selectinload(Appointment.case))
            .with_for_update()
        )
        if appt is None:
            raise BookingRefused("not_found")
        if appt.status != "booked" or appt.ends_at <= self.clock.now():
            raise BookingRefused("not_booked")
        return appt

    async def appointment(self, appointment_id: int) -> AppointmentView:
        appt = await self._own(appointment_id)
        return view(appt, appt.mediator, appt.case.number if appt.case else None)

    async def reschedule(
        self, appointment_id: int, starts_at: datetime, mode: str
    ) -> AppointmentView:
        """A new appointment that points back at the old one, which becomes `rescheduled`."""
        old = await self._own(appointment_id)
        mediator, case = old.mediator, old.case
        now = self.clock.now()
        old.status, old.updated_at = "rescheduled", now
        await self.session.flush()
        try:
            new = await self._insert(mediator, case, starts_at, mode, old.village_code, old.id)
        except BookingRefused:
            old.status = "booked"
            await self.session.flush()
            raise
        record_on_case(
            self.session,
            case,
            "appointment_rescheduled",
            new,
            at=now,
            actor_kind="resident",
            actor_id=self.resident_id,
            data={"from": old.id, "mode": mode},
        )
        params = push_params(new, mediator, case) | {"old": old.starts_at.isoformat()}
        await push(
            self.session,
            mediator.resident_id,
            "booking.push.rescheduled",
            params,
            at=now,
            case_id=new.case_id,
            dedup=f"appointment:{new.id}:booked",
            options=[{"label_key": "booking.hours.open", "payload": "cmd:hours"}],
        )
        return view(new, mediator, case.number if case else None)

    async def cancel(self, appointment_id: int) -> AppointmentView:
        appt = await self._own(appointment_id)
        now = self.clock.now()
        await mark_cancelled(
            self.session, appt, at=now, actor_kind="resident", actor_id=self.resident_id
        )
        await push(
            self.session,
            appt.mediator.resident_id,
            "booking.push.cancelled",
            push_params(appt, appt.mediator, appt.case),
            at=now,
            case_id=appt.case_id,
            dedup=f"appointment:{appt.id}:cancelled",
        )
        return view(appt, appt.mediator, appt.case.number if appt.case else None)
