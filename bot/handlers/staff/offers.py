"""Answering an assignment push: accept, or decline with a reason."""

from __future__ import annotations

from backend.staff_records import Refused
from bot.handlers.staff.cards import case_actions, render_case
from bot.handlers.staff.parsing import StaffRequest
from bot.ports import StaffPort
from bot.turn import Turn

DECLINE_REASONS = ("busy", "conflict", "not_ours", "other")


async def accepting(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    number = request.number or ""
    try:
        view = await desk.accept(number)
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    turn.say("staff.accepted", number=number)
    turn.say_text(render_case(turn, view), options=case_actions(turn, view))


async def declining(turn: Turn, desk: StaffPort, request: StaffRequest) -> None:
    number = request.number or ""
    if request.extra not in DECLINE_REASONS:
        turn.say(
            "staff.decline.ask_reason",
            number=number,
            options=[
                turn.option(f"staff.decline.{r}", f"staff:decline:{number}:{r}")
                for r in DECLINE_REASONS
            ],
        )
        return
    try:
        handover = await desk.decline(number, request.extra)
    except Refused as refused:
        turn.say(refused.key, number=number)
        return
    key = "staff.declined_escalated" if handover.escalated else "staff.declined"
    turn.say(
        key,
        number=number,
        organization=handover.organization_name,
        mediator=handover.mediator_name or turn.t("staff.nobody_yet"),
    )


HANDLERS = {"accept": accepting, "decline": declining}
