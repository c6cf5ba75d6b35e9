"""A staff member links this chat account to their record with an invite code."""

from __future__ import annotations

from backend.staff_records import Refused
from bot.flows import Step, register
from bot.turn import Turn

FLOW = "staff_register"


async def start(turn: Turn, code: str | None) -> None:
    if code:
        await redeem(turn, code)
    else:
        turn.go(FLOW, "code")
        await ask_code(turn)


async def ask_code(turn: Turn) -> None:
    turn.say("staff.register.ask_code")


async def giving_code(turn: Turn) -> None:
    if not turn.text:
        turn.reject("staff.register.ask_code")
        return
    await redeem(turn, turn.text)


async def redeem(turn: Turn, code: str) -> None:
    try:
        profile = await turn.backend.redeem_invite(code)
    except Refused as refused:
        turn.go(None, None)
        turn.say(refused.key)
        return
    turn.go(None, None)
    turn.say(
        "staff.register.done",
        name=profile.name,
        organization=profile.organization_name,
        role=turn.t(f"staff.role.{profile.role}"),
        options=[turn.option("staff.menu.cases", "staff:cases")],
    )


register(FLOW, {"code": Step(ask_code, giving_code)})
