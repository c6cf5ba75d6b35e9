"""Moving or cancelling a booked appointment (the resident's side), and the appointments that
/status lists; part of the `booking` flow (bot/handlers/booking.py registers its steps).

Buttons on the confirmation, /status and the reminders carry `appt:reschedule:ID` and
`appt:cancel:ID`; words the NLU reads as reschedule / cancel_booking act on the one upcoming
appointment, or ask which. Staff buttons on an appointment go to bot/handlers/booking_hours.py.
"""

from __future__ import annotations

from dataclasses import asdict

from backend.booking_records import BookingRefused, BookingTarget
from bot.handlers import booking as core
from bot.handlers import booking_hours
from bot.messages import Option
from bot.turn import Turn


async def on_appointment(turn: Turn) -> None:
    """A button on an appointment: the resident's reschedule/cancel, or staff attendance."""
    _, action, raw_id = ([*(turn.payload or "").split(":", 2), "", ""])[:3]
    if action in booking_hours.STAFF_ACTIONS:
        await booking_hours.on_appointment(turn, action, raw_id)
        return
    if action not in ("reschedule", "cancel") or not raw_id.isdigit():
        await core.finish(turn, "booking.refused.not_found")
        return
    core.begin(turn)
    await _act_on(turn, action, int(raw_id))


async def on_reschedule_words(turn: Turn) -> None:
    await _by_words(turn, "reschedule")


async def on_cancel_words(turn: Turn) -> None:
    await _by_words(turn, "cancel")


async def _by_words(turn: Turn, action: str) -> None:
    core.begin(turn)
    upcoming = await turn.backend.booking_desk.upcoming()
    if not upcoming:
        turn.say("booking.none_to_change", options=[turn.option("menu.book", "cmd:book")])
        await core.finish(turn)
    elif len(upcoming) == 1:
        await _act_on(turn, action, upcoming[0].id)
    else:
        turn.data[core.ACTION] = action
        turn.go(core.FLOW, "pick")
        await ask_which(turn)


async def ask_which(turn: Turn) -> None:
    action = turn.data.get(core.ACTION, "reschedule")
    options = [
        turn.option(
            "booking.which_one",
            f"appt:{action}:{a.id}",
            time=turn.t.when(a.starts_at),
            name=a.mediator_name,
        )
        for a in (await turn.backend.booking_desk.upcoming())[: core.SHOWN_SLOTS]
    ]
    turn.say("booking.ask_which", options=[*options, turn.option("option.back", "bk:back")])


async def picking_appointment(turn: Turn) -> None:
    """Appointment buttons arrive as `appt:` commands; here only "back" or something else."""
    if turn.payload == "bk:back":
        await core.finish(turn, "booking.anything_else")
        return
    turn.reject("common.use_buttons")
    await ask_which(turn)


async def _act_on(turn: Turn, action: str, appointment_id: int) -> None:
    try:
        appt = await turn.backend.booking_desk.appointment(appointment_id)
    except BookingRefused as refused:
        await core.finish(turn, f"booking.refused.{refused.reason}")
        return
    turn.data[core.MOVING] = appt.id
    if action == "cancel":
        turn.go(core.FLOW, "cancel")
        await ask_cancel(turn)
        return
    target = BookingTarget(
        appt.mediator_code,
        appt.mediator_name,
        appt.mediator_role,
        "moving",
        appt.case_number,
        None,
    )
    turn.data[core.TARGET] = asdict(target)
    turn.say("booking.moving", when=turn.t.when(appt.starts_at))
    turn.go(core.FLOW, "slot")
    await core.ask_slot(turn)


async def ask_cancel(turn: Turn) -> None:
    try:
        appt = await turn.backend.booking_desk.appointment(int(turn.data.get(core.MOVING, 0)))
    except BookingRefused as refused:
        await core.finish(turn, f"booking.refused.{refused.reason}")
        return
    turn.say(
        "booking.confirm_cancel",
        when=turn.t.when(appt.starts_at),
        name=appt.mediator_name,
        options=[
            turn.option("booking.option.cancel_yes", "bk:cancel:yes"),
            turn.option("booking.option.keep", "bk:cancel:no"),
        ],
    )


async def confirming_cancel(turn: Turn) -> None:
    if turn.payload == "bk:cancel:no":
        await core.finish(turn, "booking.kept")
    elif turn.payload == "bk:cancel:yes":
        try:
            appt = await turn.backend.booking_desk.cancel(int(turn.data[core.MOVING]))
        except BookingRefused as refused:
            await core.finish(turn, f"booking.refused.{refused.reason}")
            return
        await core.finish(turn, "booking.cancelled", when=turn.t.when(appt.starts_at))
    else:
        turn.reject("common.use_buttons")
        await ask_cancel(turn)


# --- /status ---------------------------------------------------------------------------


async def status_lines(turn: Turn) -> tuple[list[str], list[Option]]:
    """The resident's upcoming appointments for /status, with buttons for the first."""
    upcoming = await turn.backend.booking_desk.upcoming()
    lines = [
        turn.t(
            "booking.status_line",
            when=turn.t.when(a.starts_at),
            name=a.mediator_name,
            how=turn.t(f"booking.mode.{a.mode}"),
        )
        for a in upcoming
    ]
    return lines, (core.appointment_options(turn, upcoming[0]) if upcoming else [])
