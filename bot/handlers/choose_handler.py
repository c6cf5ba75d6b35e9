"""The resident picks who handles their case instead of the routing's choice: a named
mediator, another body that could take it, or the village's liaison judge.

Offered as a button after a report is filed (`choose:NUMBER`) and by the words 选调解员 /
换调解员; a tap on one of the short list (`choose:NUMBER:CODE`) offers the case to them.
Only while nobody has accepted the case yet.
"""

from __future__ import annotations

import re

from backend.resident_records import CaseUnavailable
from bot.handlers.menu import menu
from bot.turn import Turn

PREFIX = "choose:"
WORDS = re.compile(r"^(?:我想|我要)?(?:自己)?(?:选|换|挑)(?:个)?调解员\s*(\d{4}-\d{6})?$")


def _request(turn: Turn) -> tuple[str | None, str | None] | None:
    """(number, code) for this module, or None when the message is not for it."""
    payload = turn.payload or ""
    if payload.startswith(PREFIX):
        number, _, code = payload[len(PREFIX) :].partition(":")
        return number or None, code or None
    found = WORDS.match(turn.text)
    return (found.group(1), None) if found else None


async def try_handle(turn: Turn) -> bool:
    request = _request(turn)
    if request is None:
        return False
    number, code = request
    if number is None:
        number = await _only_waiting_case(turn)
        if number is None:
            turn.say("choose.nothing_to_choose", options=menu(turn))
            return True
    if code is None:
        await _show_choices(turn, number)
    else:
        await _choose(turn, number, code)
    return True


async def _only_waiting_case(turn: Turn) -> str | None:
    waiting = [c.number for c in await turn.backend.my_cases_desk.cases() if c.waiting]
    return waiting[0] if waiting else None


async def _show_choices(turn: Turn, number: str) -> None:
    try:
        choices = await turn.backend.my_cases_desk.handler_choices(number)
    except CaseUnavailable as refused:
        turn.say(f"choose.refused.{refused.reason}", number=number, options=menu(turn))
        return
    options = [
        turn.option(f"choose.kind.{c.kind}", f"{PREFIX}{number}:{c.code}", name=c.name)
        for c in choices
    ]
    turn.say(
        "choose.ask", number=number, options=[*options, turn.option("option.back", "cmd:start")]
    )


async def _choose(turn: Turn, number: str, code: str) -> None:
    try:
        chosen = await turn.backend.my_cases_desk.choose_handler(number, code)
    except CaseUnavailable as refused:
        turn.say(f"choose.refused.{refused.reason}", number=number, options=menu(turn))
        return
    turn.say("choose.done", number=number, name=chosen.name, options=menu(turn))
