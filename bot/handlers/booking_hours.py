"""A judge's or mediator's side of booking in chat, all by buttons: /hours (接待时间) shows the
weekly hours, days off, extra hours and the appointments ahead; close a day, add hours on a
day; on an appointment (reminder push or the list) record 已到场 / 未到场 or cancel it.

Every button carries what it needs (`hours:close:2026-11-25`, `appt:held:12`), so nothing
waits in a conversation step and a stale button simply answers from the current state.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_date

from backend.booking_records import AppointmentView, BookingRefused, HoursView
from bot.i18n import BABEL_LOCALE
from bot.messages import Option
from bot.ports import StaffBookingPort
from bot.turn import Turn

WORDS = re.compile(r"^(?:/hours|接待时间|我的接待时间|我的预约|预约列表|my hours)$", re.IGNORECASE)
STAFF_ACTIONS = ("held", "no_show", "card", "staffcancel", "staffcancelyes")
# The extra hours a staff member can add with one tap.
PERIODS = (("09:00", "11:30"), ("14:00", "16:30"), ("19:00", "20:30"))
SHOWN = 4
DAYS_AHEAD = 14


def _day(turn: Turn, day: date) -> str:
    pattern = turn.t("booking.format.day")
    return format_date(day, pattern, locale=BABEL_LOCALE[turn.conversation.locale])


def _weekday(turn: Turn, weekday: int) -> str:
    return format_date(
        date(2026, 11, 22) + timedelta(days=weekday),  # 22 Nov 2026 is a Sunday
        "EEEE",
        locale=BABEL_LOCALE[turn.conversation.locale],
    )


async def _desk(turn: Turn) -> StaffBookingPort | None:
    desk = await turn.backend.staff_booking_desk()
    if desk is None:
        turn.say("staff.only")
    return desk


async def on_hours(turn: Turn) -> None:
    """/hours, 接待时间, or an `hours:ACTION[:ARG]` button."""
    desk = await _desk(turn)
    if desk is None:
        return
    _, action, arg = ([*(turn.payload or "hours:show").split(":", 2), "", ""])[:3]
    if action == "close" and arg:
        await closing_day(turn, desk, arg, confirmed=False)
    elif action == "closeyes":
        await closing_day(turn, desk, arg, confirmed=True)
    elif action == "close":
        await choosing_day_to_close(turn, desk)
    elif action == "add" and "T" in arg:
        await adding_hours(turn, desk, arg)
    elif action == "add" and arg:
        await choosing_period(turn, arg)
    elif action == "add":
        choosing_day_to_open(turn)
    else:
        await showing_hours(turn, desk)


def render_hours(turn: Turn, view: HoursView) -> str:
    t = turn.t
    lines = [t("booking.hours.title")]
    for h in view.weekly:
        key = "booking.hours.weekly_video" if h.get("video") else "booking.hours.weekly"
        lines.append(
            t(
                key,
                weekday=_weekday(turn, int(h["weekday"])),
                start=h["start"],
                end=h["end"],
                place=h.get("place") or t("booking.mode.video"),
            )
        )
    if not view.weekly:
        lines.append(t("booking.hours.no_weekly"))
    for e in view.exceptions:
        if e.kind == "closed":
            lines.append(t("booking.hours.closed_day", day=_day(turn, e.on_date)))
        else:
            lines.append(
                t("booking.hours.extra_day", day=_day(turn, e.on_date), start=e.start, end=e.end)
            )
    lines.append(t("booking.hours.appointments", count=len(view.appointments)))
    lines += [appointment_line(turn, a) for a in view.appointments]
    return "\n".join(lines)


def appointment_line(turn: Turn, appt: AppointmentView) -> str:
    return turn.t(
        "booking.hours.appointment",
        when=turn.t.when(appt.starts_at),
        how=turn.t(f"booking.mode.{appt.mode}"),
        case=appt.case_number or "-",
    )


async def showing_hours(turn: Turn, desk: StaffBookingPort) -> None:
    view = await desk.hours()
    options = [
        turn.option("booking.hours.close", "hours:close"),
        turn.option("booking.hours.add", "hours:add"),
    ]
    options += [
        turn.option(
            "booking.hours.open_appointment", f"appt:card:{a.id}", when=turn.t.when(a.starts_at)
        )
        for a in view.appointments[:SHOWN]
    ]
    turn.say_text(render_hours(turn, view), options=options)


async def choosing_day_to_close(turn: Turn, desk: StaffBookingPort) -> None:
    days = await desk.open_days()
    if not days:
        turn.say("booking.hours.nothing_to_close", options=_back(turn))
        return
    options = [
        turn.option("booking.hours.day", f"hours:close:{d}", day=_day(turn, d)) for d in days
    ]
    turn.say("booking.hours.ask_close", options=[*options, *_back(turn)])


def _date(turn: Turn, raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return day if 0 <= (day - turn.today()).days <= DAYS_AHEAD else None


async def closing_day(turn: Turn, desk: StaffBookingPort, raw: str, *, confirmed: bool) -> None:
    day = _date(turn, raw)
    if day is None:
        turn.say("booking.hours.bad_day", options=_back(turn))
        return
    zone = turn.services.texts.zone
    booked = [a for a in await desk.appointments() if a.starts_at.astimezone(zone).date() == day]
    if booked and not confirmed:
        turn.say(
            "booking.hours.confirm_close",
            day=_day(turn, day),
            count=len(booked),
            options=[turn.option("booking.hours.close_yes", f"hours:closeyes:{day}"), *_back(turn)],
        )
        return
    cancelled = await desk.close_day(day)
    turn.say("booking.hours.closed", day=_day(turn, day), count=len(cancelled), options=_back(turn))


def choosing_day_to_open(turn: Turn) -> None:
    today = turn.today()
    options = [
        turn.option("booking.hours.day", f"hours:add:{d}", day=_day(turn, d))
        for d in (today + timedelta(days=n) for n in range(1, DAYS_AHEAD + 1))
    ]
    turn.say("booking.hours.ask_add_day", options=[*options, *_back(turn)])


async def choosing_period(turn: Turn, raw: str) -> None:
    day = _date(turn, raw)
    if day is None:
        turn.say("booking.hours.bad_day", options=_back(turn))
        return
    options = [
        turn.option("booking.hours.period", f"hours:add:{day}T{a}-{b}", start=a, end=b)
        for a, b in PERIODS
    ]
    turn.say("booking.hours.ask_period", day=_day(turn, day), options=[*options, *_back(turn)])


async def adding_hours(turn: Turn, desk: StaffBookingPort, raw: str) -> None:
    day, _, period = raw.partition("T")
    start, _, end = period.partition("-")
    chosen = _date(turn, day)
    if chosen is None or (start, end) not in PERIODS:
        turn.say("booking.hours.bad_day", options=_back(turn))
        return
    await desk.add_hours(chosen, start, end)
    turn.say(
        "booking.hours.added", day=_day(turn, chosen), start=start, end=end, options=_back(turn)
    )


def _back(turn: Turn) -> list[Option]:
    return [turn.option("booking.hours.back", "hours:show")]


# --- one appointment -----------------------------------------------------------------------


async def on_appointment(turn: Turn, action: str, raw_id: str) -> None:
    desk = await _desk(turn)
    if desk is None:
        return
    if not raw_id.isdigit():
        turn.say("booking.refused.not_found", options=_back(turn))
        return
    appointment_id = int(raw_id)
    try:
        if action == "card":
            await showing_appointment(turn, desk, appointment_id)
        elif action == "staffcancel":
            turn.say(
                "booking.staff.confirm_cancel",
                options=[
                    turn.option("booking.option.cancel_yes", f"appt:staffcancelyes:{raw_id}"),
                    *_back(turn),
                ],
            )
        elif action == "staffcancelyes":
            appt = await desk.cancel(appointment_id)
            turn.say(
                "booking.staff.cancelled", when=turn.t.when(appt.starts_at), options=_back(turn)
            )
        else:
            appt = await desk.record_attendance(appointment_id, action)
            turn.say(
                f"booking.staff.recorded_{action}",
                when=turn.t.when(appt.starts_at),
                options=_back(turn),
            )
    except BookingRefused as refused:
        turn.say(f"booking.refused.{refused.reason}", options=_back(turn))


async def showing_appointment(turn: Turn, desk: StaffBookingPort, appointment_id: int) -> None:
    appt = next((a for a in await desk.appointments() if a.id == appointment_id), None)
    if appt is None:
        raise BookingRefused("not_booked")
    where = appt.video_link if appt.mode == "video" else appt.place
    text = "\n".join(
        [appointment_line(turn, appt), turn.t("booking.staff.where", where=where or "-")]
    )
    turn.say_text(
        text,
        options=[
            turn.option("booking.option.held", f"appt:held:{appt.id}"),
            turn.option("booking.option.no_show", f"appt:no_show:{appt.id}"),
            turn.option("booking.option.staff_cancel", f"appt:staffcancel:{appt.id}"),
            *_back(turn),
        ],
    )
