"""The staff side of the chat: registering with an invite code, answering case offers,
working cases (notes, messages to the resident, outcomes, referral to the tribunal) and
registering cases that came in person or through a grid worker.

Staff use the same bot as residents; what marks them is a chat account linked to a staff
record by an invite code. Their commands and buttons are tried before the resident's.
"""

from __future__ import annotations

from bot.handlers.staff import casework, offers, registration
from bot.handlers.staff.parsing import StaffRequest, staff_request
from bot.turn import Turn

__all__ = ["try_handle"]


async def try_handle(turn: Turn) -> bool:
    """True when the message was a staff command or button (and has been answered)."""
    request = staff_request(turn)
    if request is None:
        return False
    if request.action == "register":
        await registration.start(turn, request.number)
        return True
    desk = await turn.backend.staff_desk()
    if desk is None:
        if request.plain_words:
            return False
        turn.say("staff.only")
        return True
    await _run(turn, desk, request)
    return True


async def _run(turn: Turn, desk: object, request: StaffRequest) -> None:
    handler = offers.HANDLERS.get(request.action) or casework.HANDLERS[request.action]
    await handler(turn, desk, request)
