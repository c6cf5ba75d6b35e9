"""Booking an hour with the village's judge or the resident's mediator: pick a slot, in person
or by video, get a confirmation; move or cancel it later.

Started by the 预约调解 button (`cmd:book`), the words 预约调解 / 预约 or what the NLU reads as
book_mediation, reschedule or cancel_booking; reminder pushes and /status carry
`appt:reschedule:ID` and `appt:cancel:ID`. Buttons inside the flow carry `bk:...`. A report
being filled in waits meanwhile and is asked again afterwards. Moving and cancelling are in
bot/handlers/booking_changes.py, the staff side (hours, days off, attendance) in
bot/handlers/booking_hours.py; the diagram is docs/conversations/booking.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime

from babel.dates import format_datetime

from backend.booking_records import AppointmentView, BookingRefused, BookingTarget, SlotView
from bot.flows import Step, has_suspended, register, resume, suspend
from bot.handlers import booking_hours
from bot.handlers.menu import menu
from bot.handlers.text_checks import is_meaningful
from bot.i18n import BABEL_LOCALE
from bot.messages import Option
from bot.turn import Turn

FLOW = "booking"
TARGET, AFTER, SLOT, MOVING, ACTION = "bk_target", "bk_after", "bk_slot", "bk_moving", "bk_action"
SHOWN_SLOTS = 6
WORDS = re.compile(r"^(?:我想|我要)?(?:预约调解|预约法官|约法官|预约|/book)$", re.IGNORECASE)


def action_of(turn: Turn) -> str | None:
    """ "book", "appt" (a button on an appointment) or "hours" (staff), else None."""
    payload = turn.payload or ""
    if payload.startswith("appt:"):
        return "appt"
    if payload.startswith("hours:"):
        return "hours"
    if WORDS.match(turn.text):
        return "book"
    return "hours" if booking_hours.WORDS.match(turn.text) else None


def _forget(turn: Turn) -> None:
    for key in (TARGET, AFTER, SLOT, MOVING, ACTION):
        turn.data.pop(key, None)


def begin(turn: Turn) -> None:
    if turn.conversation.flow != FLOW:
        suspend(turn)  # an unfinished report is asked again afterwards
    _forget(turn)


async def finish(turn: Turn, key: str | None = None, **params: object) -> None:
    _forget(turn)
    if has_suspended(turn):
        if key:
            turn.say(key, **params)
        await resume(turn)
        return
    turn.go(None, None)
    if key:
        turn.say(key, options=menu(turn), **params)


# --- starting -------------------------------------------------------------------------


async def on_book(turn: Turn) -> None:
    """The resident wants an appointment: show the one they have, or whom they would see."""
    begin(turn)
    upcoming = await turn.backend.booking_desk.upcoming()
    if upcoming:
        appt = upcoming[0]
        turn.say(
            "booking.already",
            when=turn.t.when(appt.starts_at),
            name=appt.mediator_name,
            options=appointment_options(turn, appt),
        )
        await finish(turn)
        return
    target = await turn.backend.booking_desk.target()
    if target is None:
        turn.go(FLOW, "village")
        await ask_village(turn)
        return
    await _chose_target(turn, target)


async def _chose_target(turn: Turn, target: BookingTarget) -> None:
    turn.data[TARGET] = asdict(target)
    turn.say(
        f"booking.with_{target.kind}",
        name=target.name,
        role=turn.t(f"booking.role.{target.role}"),
    )
    turn.go(FLOW, "slot")
    await ask_slot(turn)


async def ask_village(turn: Turn) -> None:
    candidates = turn.data.get("bk_villages") or []
    options = [
        turn.option("booking.village_this", f"bk:village:{c}", place=_place(turn, c))
        for c in candidates
    ]
    turn.say("booking.ask_village", options=[*options, turn.option("option.back", "bk:back")])


def _place(turn: Turn, code: str) -> str:
    return turn.services.places.display(code, turn.conversation.locale)


async def naming_village(turn: Turn) -> None:
    payload = turn.payload or ""
    if payload == "bk:back":
        turn.data.pop("bk_villages", None)
        await finish(turn, "booking.anything_else")
        return
    places = turn.services.places
    if payload.startswith("bk:village:"):
        code = payload.removeprefix("bk:village:")
        chosen = [places.get(code)] if places.get(code) else []
    else:
        found = places.match(turn.text) if is_meaningful(turn.text) else []
        villages = [p for p in found if p.kind == "village"]
        towns = [p for p in found if p.kind == "town"]
        chosen = villages or [v for t in towns for v in places.villages_of(t.code)]
    if len(chosen) != 1 or chosen[0] is None:
        turn.data["bk_villages"] = [p.code for p in chosen if p is not None][:SHOWN_SLOTS]
        turn.reject("booking.village_pick" if chosen else "booking.village_unknown")
        await ask_village(turn)
        return
    turn.data.pop("bk_villages", None)
    target = await turn.backend.booking_desk.target(chosen[0].code)
    if target is None:
        await finish(turn, "booking.no_judge", place=_place(turn, chosen[0].code))
        return
    await _chose_target(turn, target)


# --- picking a slot ---------------------------------------------------------------------


def slot_label(turn: Turn, starts_at: datetime) -> str:
    local = starts_at.astimezone(turn.services.texts.zone)
    pattern = turn.t("booking.format.slot")
    return format_datetime(local, pattern, locale=BABEL_LOCALE[turn.conversation.locale])


async def _slots(turn: Turn) -> list[SlotView]:
    after = turn.data.get(AFTER)
    return await turn.backend.booking_desk.slots(
        turn.data[TARGET]["mediator_code"],
        after=datetime.fromisoformat(after) if after else None,
        limit=SHOWN_SLOTS,
    )


async def ask_slot(turn: Turn) -> None:
    slots = await _slots(turn)
    if not slots:
        key = "booking.no_more_slots" if turn.data.get(AFTER) else "booking.no_slots"
        turn.say(
            key,
            options=[turn.option("menu.human", "cmd:human"), turn.option("option.back", "bk:back")],
        )
        return
    options = [
        turn.option(
            "booking.slot_video" if s.video else "booking.slot",
            f"bk:slot:{s.starts_at.isoformat()}",
            time=slot_label(turn, s.starts_at),
        )
        for s in slots
    ]
    if len(slots) == SHOWN_SLOTS:
        options.append(turn.option("booking.later", f"bk:later:{slots[-1].starts_at.isoformat()}"))
    turn.say("booking.pick_slot", options=[*options, turn.option("option.back", "bk:back")])


async def picking_slot(turn: Turn) -> None:
    payload = turn.payload or ""
    if payload == "bk:back":
        await finish(turn, "booking.anything_else")
    elif payload.startswith("bk:later:"):
        turn.data[AFTER] = payload.removeprefix("bk:later:")
        await ask_slot(turn)
    elif payload.startswith("bk:slot:"):
        await _picked(turn, datetime.fromisoformat(payload.removeprefix("bk:slot:")))
    else:
        turn.reject("common.use_buttons")
        await ask_slot(turn)


async def _picked(turn: Turn, starts_at: datetime) -> None:
    offered = await turn.backend.booking_desk.slots(turn.data[TARGET]["mediator_code"], limit=999)
    slot = next((s for s in offered if s.starts_at == starts_at), None)
    if slot is None:  # taken or withdrawn since the list was shown
        turn.say("booking.refused.taken")
        await ask_slot(turn)
        return
    turn.data[SLOT] = {"starts_at": starts_at.isoformat(), "place": slot.place, "video": slot.video}
    if slot.place and slot.video:
        turn.go(FLOW, "mode")
        await ask_mode(turn)
    else:
        await _book(turn, "video" if slot.video else "in_person")


async def ask_mode(turn: Turn) -> None:
    slot = turn.data.get(SLOT) or {}
    turn.say(
        "booking.ask_mode",
        time=slot_label(turn, datetime.fromisoformat(slot["starts_at"])) if slot else "",
        place=slot.get("place") or "",
        options=[
            turn.option("booking.mode.in_person", "bk:mode:in_person"),
            turn.option("booking.mode.video", "bk:mode:video"),
            turn.option("booking.other_time", "bk:other"),
        ],
    )


async def choosing_mode(turn: Turn) -> None:
    payload = turn.payload or ""
    if payload == "bk:other":
        turn.data.pop(SLOT, None)
        turn.go(FLOW, "slot")
        await ask_slot(turn)
    elif payload in ("bk:mode:in_person", "bk:mode:video"):
        await _book(turn, payload.removeprefix("bk:mode:"))
    else:
        turn.reject("common.use_buttons")
        await ask_mode(turn)


async def _book(turn: Turn, mode: str) -> None:
    desk = turn.backend.booking_desk
    starts_at = datetime.fromisoformat(turn.data[SLOT]["starts_at"])
    try:
        if MOVING in turn.data:
            appt = await desk.reschedule(int(turn.data[MOVING]), starts_at, mode)
        else:
            appt = await desk.book(BookingTarget(**turn.data[TARGET]), starts_at, mode)
    except BookingRefused as refused:
        if refused.reason in ("taken", "gone"):
            turn.data.pop(SLOT, None)
            turn.say(f"booking.refused.{refused.reason}")
            turn.go(FLOW, "slot")
            await ask_slot(turn)
            return
        await finish(turn, f"booking.refused.{refused.reason}")
        return
    moved = MOVING in turn.data
    _forget(turn)
    turn.say_text(confirmation(turn, appt, moved), options=appointment_options(turn, appt))
    if has_suspended(turn):
        await resume(turn)
    else:
        turn.go(None, None)


def confirmation(turn: Turn, appt: AppointmentView, moved: bool = False) -> str:
    key = "booking.moved" if moved else "booking.booked"
    return "\n".join(
        [
            turn.t(key, when=turn.t.when(appt.starts_at)),
            describe(turn, appt),
            turn.t("booking.reminders"),
        ]
    )


def describe(turn: Turn, appt: AppointmentView) -> str:
    role = turn.t(f"booking.role.{appt.mediator_role}")
    if appt.mode == "video":
        return turn.t(
            "booking.details_video", name=appt.mediator_name, role=role, link=appt.video_link or ""
        )
    return turn.t(
        "booking.details_place", name=appt.mediator_name, role=role, place=appt.place or ""
    )


def appointment_options(turn: Turn, appt: AppointmentView) -> list[Option]:
    return [
        turn.option("booking.option.reschedule", f"appt:reschedule:{appt.id}"),
        turn.option("booking.option.cancel", f"appt:cancel:{appt.id}"),
    ]


# Moving and cancelling live beside this module and use its helpers; imported here, after them,
# so that importing either module registers the whole flow.
from bot.handlers import booking_changes  # noqa: E402

register(
    FLOW,
    {
        "village": Step(ask_village, naming_village),
        "slot": Step(ask_slot, picking_slot),
        "mode": Step(ask_mode, choosing_mode),
        "pick": Step(booking_changes.ask_which, booking_changes.picking_appointment),
        "cancel": Step(booking_changes.ask_cancel, booking_changes.confirming_cancel),
    },
)
