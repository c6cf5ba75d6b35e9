"""Working a case from the chat: list, open, note, message the resident, record the outcome,
refer to the tribunal, ask for judicial confirmation."""

from __future__ import annotations

from collections.abc import Awaitable

from backend.staff_records import Refused
from bot.flows import Step, register
from bot.handlers.intake.behalf import begin_on_behalf
from bot.handlers.staff.cards import case_actions, render_case, render_line
from bot.handlers.staff.parsing import StaffRequest
from bot.ports import StaffPort
from bot.turn import Turn

FLOW = "staff_case"
CASE_KEY = "staff_case"
OUTCOME_KEY = "staff_outcome"
OUTCOMES = ("agreement", "failed", "withdrawn")
SHOWN = 10


async def listing_cases(turn: Turn, desk: StaffPort, _: StaffRequest) -> None:
    lines = await desk.open_cases()
    if not lines:
        turn.say("staff.cases.none")
        return
    shown = lines[:SHOWN]
    text = "\n".join(
        [turn.t("staff.cases.title", count=len(lines))]
        + [render_line(turn, line) for line in shown]
    )
    turn.say_text(
        text,
        options=[
            turn.option("staff.action.open", f"staff:view:{c.number}", number=c.number)
            for c in shown
        ],
    )


async def viewing_case(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    view = await desk.case_view(request.number or "") if request.number else None
    if view is None:
        turn.say("staff.error.no_such_case", number=request.number or "")
        return
    turn.say_text(render_case(turn, view), options=case_actions(turn, view))


async def _ask_for_text(turn: Turn, request: StaffRequest, step: str, key: str) -> None:
    turn.data[CASE_KEY] = request.number
    turn.go(FLOW, step)
    turn.say(key, number=request.number or "")


async def noting(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    if request.extra:
        number = request.number or ""
        await _done(turn, desk.add_note(number, request.extra), "staff.noted", number)
    else:
        await _ask_for_text(turn, request, "note", "staff.note.ask")


async def contacting(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    if request.extra:
        await _relay(turn, desk, request.number or "", request.extra)
    else:
        await _ask_for_text(turn, request, "contact", "staff.contact.ask")


async def recording_outcome(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    number = request.number or ""
    if request.extra in OUTCOMES:
        turn.data[OUTCOME_KEY] = request.extra
        await _ask_for_text(turn, request, "outcome", f"staff.outcome.ask_{request.extra}")
        return
    turn.say(
        "staff.outcome.ask",
        number=number,
        options=[
            turn.option(f"staff.outcome.{o}", f"staff:outcome:{number}:{o}") for o in OUTCOMES
        ],
    )


async def referring(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    number = request.number or ""
    if request.extra != "yes":
        turn.say(
            "staff.court.confirm",
            number=number,
            options=[
                turn.option("staff.court.yes", f"staff:court:{number}:yes"),
                turn.option("staff.menu.cases", "staff:cases"),
            ],
        )
        return
    try:
        tribunal = await desk.refer_to_court(number)
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    turn.say("staff.court.done", number=number, tribunal=tribunal)


async def confirming(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    number = request.number or ""
    try:
        tribunal = await desk.request_confirmation(number)
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    turn.say("staff.confirm.done", number=number, tribunal=tribunal)


# --- the steps that wait for a typed text ----------------------------------------------------


async def ask_note(turn: Turn) -> None:
    turn.say("staff.note.ask", number=turn.data.get(CASE_KEY, ""))


async def ask_contact(turn: Turn) -> None:
    turn.say("staff.contact.ask", number=turn.data.get(CASE_KEY, ""))


async def ask_outcome_text(turn: Turn) -> None:
    outcome = turn.data.get(OUTCOME_KEY, "agreement")
    turn.say(f"staff.outcome.ask_{outcome}", number=turn.data.get(CASE_KEY, ""))


async def _typed_text(turn: Turn, ask_key: str) -> tuple[StaffPort, str, str] | None:
    desk = await turn.backend.staff_desk()
    if desk is None:
        turn.go(None, None)
        turn.say("staff.only")
        return None
    if not turn.text:
        turn.reject(ask_key, number=turn.data.get(CASE_KEY, ""))
        return None
    number = turn.data.pop(CASE_KEY, "")
    turn.go(None, None)
    return desk, number, turn.text


async def typing_note(turn: Turn) -> None:
    typed = await _typed_text(turn, "staff.note.ask")
    if typed:
        desk, number, text = typed
        await _done(turn, desk.add_note(number, text), "staff.noted", number)


async def typing_message(turn: Turn) -> None:
    typed = await _typed_text(turn, "staff.contact.ask")
    if typed:
        await _relay(turn, *typed)


async def typing_outcome(turn: Turn) -> None:
    outcome = turn.data.get(OUTCOME_KEY, "agreement")
    typed = await _typed_text(turn, f"staff.outcome.ask_{outcome}")
    if typed:
        desk, number, text = typed
        turn.data.pop(OUTCOME_KEY, None)
        await _done(
            turn,
            desk.record_outcome(number, outcome, text),
            f"staff.outcome.recorded_{outcome}",
            number,
        )


async def _relay(turn: Turn, desk: StaffPort, number: str, text: str) -> None:
    try:
        reached = await desk.contact_resident(number, text)
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    turn.say("staff.contact.sent" if reached else "staff.contact.no_chat", number=number)


async def _done(turn: Turn, action: Awaitable[None], key: str, number: str) -> None:
    try:
        await action
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    turn.say(key, number=number, options=[turn.option("staff.menu.cases", "staff:cases")])


register(
    FLOW,
    {
        "note": Step(ask_note, typing_note),
        "contact": Step(ask_contact, typing_message),
        "outcome": Step(ask_outcome_text, typing_outcome),
    },
)


async def reporting_for_resident(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    await begin_on_behalf(turn, request.action)


HANDLERS = {
    "proxy": reporting_for_resident,
    "offline": reporting_for_resident,
    "cases": listing_cases,
    "view": viewing_case,
    "note": noting,
    "contact": contacting,
    "outcome": recording_outcome,
    "court": referring,
    "confirm": confirming,
}
