"""What the resident's and the staff member's booking desks share: free slots of one person,
appointment views, pushes to either side, the timed jobs of an appointment and its trace on
the case."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from backend.booking_records import AppointmentView
from backend.booking_slots import DayException, Slot, free_slots
from backend.job_requests import TimedJob, request_jobs
from backend.models import Case, Mediator
from backend.models_scheduling import Appointment, AvailabilityException
from backend.notify import push_to
from backend.statuses import CaseStatus, can_transition

DEFAULT_VIDEO_ROOM_URL = "https://meet.jit.si/jiefen-{room}"
REMINDERS = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}
NO_SHOW_CHECK_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class BookingConfig:
    """Settings of booking (jiefen/settings.py hands them to the CaseStore)."""

    video_room_url: str = DEFAULT_VIDEO_ROOM_URL  # {room} becomes an unguessable token
    timezone: str = "Asia/Shanghai"
    days: int = 14  # how far ahead residents may book
    lead: timedelta = timedelta(hours=2)  # nobody books a slot starting sooner than this

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def video_link(self) -> str:
        return self.video_room_url.replace("{room}", secrets.token_urlsafe(12))


def view(appt: Appointment, mediator: Mediator, case_number: str | None) -> AppointmentView:
    return AppointmentView(
        id=appt.id,
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
        mode=appt.mode,
        place=appt.place,
        video_link=appt.video_link,
        status=appt.status,
        mediator_code=mediator.code,
        mediator_name=mediator.name,
        mediator_role=mediator.role,
        case_number=case_number,
    )


async def view_of(session: AsyncSession, appt: Appointment) -> AppointmentView:
    mediator = await session.get(Mediator, appt.mediator_id)
    case = await session.get(Case, appt.case_id) if appt.case_id else None
    assert mediator is not None
    return view(appt, mediator, case.number if case else None)


async def exceptions_of(
    session: AsyncSession, mediator_id: int, first: date, last: date
) -> list[AvailabilityException]:
    rows = await session.scalars(
        select(AvailabilityException)
        .where(
            AvailabilityException.mediator_id == mediator_id,
            AvailabilityException.on_date >= first.isoformat(),
            AvailabilityException.on_date <= last.isoformat(),
        )
        .order_by(AvailabilityException.on_date, AvailabilityException.id)
    )
    return list(rows)


async def open_slots(
    session: AsyncSession,
    mediator: Mediator,
    config: BookingConfig,
    *,
    now: datetime,
    count_booked: bool = True,
) -> list[Slot]:
    """The person's slots in the booking window; `count_booked=False` keeps booked ones (to
    check that a slot is still offered, leaving "taken" to the unique index)."""
    first = now.astimezone(config.zone).date()
    rows = await exceptions_of(session, mediator.id, first, first + timedelta(days=config.days))
    exceptions = [DayException(date.fromisoformat(e.on_date), e.kind, e.start, e.end) for e in rows]
    booked: list[datetime] = []
    if count_booked:
        booked = list(
            await session.scalars(
                select(Appointment.starts_at).where(
                    Appointment.mediator_id == mediator.id,
                    Appointment.status == "booked",
                    Appointment.starts_at >= now,
                )
            )
        )
    return free_slots(
        mediator.office_hours or [],
        exceptions,
        booked,
        now=now,
        zone=config.zone,
        days=config.days,
        lead=config.lead,
    )


def where(appt: Appointment) -> str:
    return (appt.video_link if appt.mode == "video" else appt.place) or "-"


def push_params(appt: Appointment, mediator: Mediator, case: Case | None) -> dict[str, Any]:
    """Parameters every booking push understands; `when` is shown in the county's zone and
    `how` in the recipient's language (see push())."""
    return {
        "when": appt.starts_at.isoformat(),
        "how": f"booking.mode.{appt.mode}",
        "where": where(appt),
        "name": mediator.name,
        "case": case.number if case else "-",
    }


async def push(
    session: AsyncSession,
    resident_id: int | None,
    key: str,
    params: dict[str, Any],
    *,
    at: datetime,
    case_id: int | None,
    dedup: str | None = None,
    options: list[dict[str, str]] | None = None,
    purpose: str = "appointment",
) -> bool:
    """A booking push to a resident or a staff member's chat (False: no chat account, or
    already sent under this dedup key: a job that runs a second time pushes nothing)."""
    return await push_to(
        session,
        resident_id,
        key,
        params,
        purpose=purpose,
        at=at,
        case_id=case_id,
        options=options,
        dedup=dedup,
        translate=["how"] if "how" in params else None,
        times=[k for k in ("when", "old") if k in params],
        once=True,
    )


def resident_buttons(appointment_id: int) -> list[dict[str, str]]:
    return [
        {"label_key": "booking.option.reschedule", "payload": f"appt:reschedule:{appointment_id}"},
        {"label_key": "booking.option.cancel", "payload": f"appt:cancel:{appointment_id}"},
    ]


def attendance_buttons(appointment_id: int) -> list[dict[str, str]]:
    return [
        {"label_key": "booking.option.held", "payload": f"appt:held:{appointment_id}"},
        {"label_key": "booking.option.no_show", "payload": f"appt:no_show:{appointment_id}"},
    ]


async def plan_jobs(session: AsyncSession, appt: Appointment, *, at: datetime) -> None:
    """Reminders 24 h and 2 h before (those still ahead) and the no-show check a day after
    the end, asked for in the booking's own transaction."""
    jobs = [
        TimedJob(
            f"appointment:{appt.id}:remind:{which}",
            "appointment_reminder",
            (appt.id, which),
            appt.starts_at - before,
            appt.case_id,
        )
        for which, before in REMINDERS.items()
        if appt.starts_at - before > at
    ]
    jobs.append(
        TimedJob(
            f"appointment:{appt.id}:no_show_check",
            "appointment_no_show_check",
            (appt.id,),
            appt.ends_at + NO_SHOW_CHECK_AFTER,
            appt.case_id,
        )
    )
    await request_jobs(session, jobs, at=at)


def record_on_case(
    session: AsyncSession,
    case: Case | None,
    kind: str,
    appt: Appointment,
    *,
    at: datetime,
    actor_kind: str,
    actor_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    if case is None:
        return
    lifecycle.record_event(
        session,
        case,
        kind,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        data={"appointment": appt.id, "starts_at": appt.starts_at.isoformat(), **(data or {})},
    )


def mark_scheduled(
    session: AsyncSession, case: Case | None, mediator: Mediator, *, at: datetime, actor: int
) -> None:
    """A case whose own mediator is booked moves to `scheduled` (when its status allows)."""
    if case is None or case.mediator_id != mediator.id or case.status == CaseStatus.SCHEDULED:
        return
    if can_transition(CaseStatus(case.status), CaseStatus.SCHEDULED):
        lifecycle.change_status(
            session, case, CaseStatus.SCHEDULED, at=at, actor_kind="resident", actor_id=actor
        )


async def unschedule_if_none_left(
    session: AsyncSession, case: Case | None, *, at: datetime, actor_kind: str, actor_id: int
) -> None:
    """Back to `accepted` when a scheduled case loses its last booked appointment."""
    if case is None or case.status != CaseStatus.SCHEDULED:
        return
    left = await session.scalar(
        select(Appointment.id).where(Appointment.case_id == case.id, Appointment.status == "booked")
    )
    if left is None:
        lifecycle.change_status(
            session, case, CaseStatus.ACCEPTED, at=at, actor_kind=actor_kind, actor_id=actor_id
        )


async def mark_cancelled(
    session: AsyncSession, appt: Appointment, *, at: datetime, actor_kind: str, actor_id: int
) -> None:
    """A cancellation by either side: the appointment, its case event, and the case back to
    `accepted` when this was its last booked hour. The caller tells the other side."""
    appt.status, appt.updated_at = "cancelled", at
    await session.flush()
    record_on_case(
        session,
        appt.case,
        "appointment_cancelled",
        appt,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
    )
    await unschedule_if_none_left(
        session, appt.case, at=at, actor_kind=actor_kind, actor_id=actor_id
    )
