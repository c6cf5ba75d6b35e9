"""The timed jobs of an appointment, as plain functions the scheduler runs by id
(scheduler/kinds_booking.py): reminders 24 h and 2 h before, to both sides, and the no-show
check a day after the end.

Each looks at the appointment when it runs, so a job left over from a cancelled or moved
appointment does nothing. Pushes carry the job id as their dedup key: a job run twice (a
crash between sending and recording) never pushes twice.

Running late: a reminder still goes when it is late by up to REMINDER_GRACE of its kind (an
hour late is fine) and would still arrive before the appointment; later than that it is
dropped, and the drop is written on the case (or in the log when the appointment has no case).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from backend.booking_common import (
    NO_SHOW_CHECK_AFTER,
    REMINDERS,
    attendance_buttons,
    push,
    push_params,
    record_on_case,
    resident_buttons,
)
from backend.models_scheduling import Appointment

log = logging.getLogger(__name__)
# How late each reminder may still go: a 24-hour reminder six hours late still gives most of a
# day's notice; a 2-hour one 90 minutes late still arrives before the appointment.
REMINDER_GRACE = {"24h": timedelta(hours=6), "2h": timedelta(minutes=90)}


async def _appointment(session: AsyncSession, appointment_id: int) -> Appointment | None:
    """The appointment with its mediator and case in one query (10,000 reminders due at once
    are bound by queries, docs/benchmarks.md); only the appointment's row is locked."""
    return await session.scalar(
        select(Appointment)
        .where(Appointment.id == int(appointment_id))
        .options(joinedload(Appointment.mediator), joinedload(Appointment.case))
        .with_for_update(of=Appointment)
    )


async def send_reminder(
    session: AsyncSession, appointment_id: int, which: str, *, at: datetime
) -> None:
    """Job `appointment_reminder` [appointment_id, "24h" | "2h"]."""
    appt = await _appointment(session, appointment_id)
    if appt is None or appt.status != "booked":
        return
    due = appt.starts_at - REMINDERS[which]
    if at - due > REMINDER_GRACE[which] or at >= appt.starts_at:
        await reminder_missed(session, appointment_id, which, scheduled_for=due, at=at)
        return
    job_id = f"appointment:{appt.id}:remind:{which}"
    params = push_params(appt, appt.mediator, appt.case)
    await push(
        session,
        appt.resident_id,
        f"booking.push.reminder_{which}",
        params,
        at=at,
        case_id=appt.case_id,
        dedup=f"{job_id}:resident",
        options=resident_buttons(appt.id),
        purpose="appointment_reminder",
    )
    await push(
        session,
        appt.mediator.resident_id,
        f"booking.push.staff_reminder_{which}",
        params,
        at=at,
        case_id=appt.case_id,
        dedup=f"{job_id}:staff",
        options=attendance_buttons(appt.id),
        purpose="appointment_reminder",
    )


async def reminder_missed(
    session: AsyncSession,
    appointment_id: int,
    which: str,
    *,
    scheduled_for: datetime,
    at: datetime,
) -> None:
    """on_missed of `appointment_reminder`: the reminder was too late to be of use."""
    appt = await _appointment(session, appointment_id)
    if appt is None or appt.status != "booked":
        return
    if appt.case is None:
        log.warning(
            "appointment %s: %s reminder due %s dropped at %s (too late)",
            appt.id,
            which,
            scheduled_for.isoformat(),
            at.isoformat(),
        )
        return
    record_on_case(
        session,
        appt.case,
        "appointment_reminder_missed",
        appt,
        at=at,
        actor_kind="system",
        actor_id=None,
        data={"which": which, "scheduled_for": scheduled_for.isoformat()},
    )


async def check_no_show(session: AsyncSession, appointment_id: int, *, at: datetime) -> None:
    """Job `appointment_no_show_check` [appointment_id], a day after the end: an appointment
    nobody recorded an outcome for counts as a no-show; the mediator may still correct it."""
    appt = await _appointment(session, appointment_id)
    if appt is None or appt.status != "booked" or at < appt.ends_at + NO_SHOW_CHECK_AFTER:
        return
    appt.status, appt.updated_at = "no_show", at
    record_on_case(
        session,
        appt.case,
        "appointment_no_show",
        appt,
        at=at,
        actor_kind="system",
        actor_id=None,
        data={"recorded_by": "no_show_check"},
    )
    params = push_params(appt, appt.mediator, appt.case)
    await push(
        session,
        appt.mediator.resident_id,
        "booking.push.no_show_recorded",
        params,
        at=at,
        case_id=appt.case_id,
        dedup=f"appointment:{appt.id}:no_show_check:staff",
        options=[{"label_key": "booking.option.held", "payload": f"appt:held:{appt.id}"}],
    )
    await push(
        session,
        appt.resident_id,
        "booking.push.missed",
        params,
        at=at,
        case_id=appt.case_id,
        dedup=f"appointment:{appt.id}:missed",
        options=[{"label_key": "booking.option.book_again", "payload": "cmd:book"}],
    )
