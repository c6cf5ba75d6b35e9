"""Reports taken by staff on a resident's behalf: a grid worker (网格员) for a resident who
cannot use a phone (proxy), or a mediator registering a case that came in person or by
telephone (offline), so the ledger is complete and self-filed cases can be counted apart.

The same intake questions follow; first the staff member confirms the resident agreed to the
privacy notice and gives the resident's name.
"""

from __future__ import annotations

from bot.handlers.intake.draft import FLOW, draft_of
from bot.handlers.intake.opening import ask_description
from bot.turn import Turn

BEHALF_KEY = "on_behalf"  # "proxy" | "offline"
MAX_NAME_CHARS = 32


def on_behalf(turn: Turn) -> str | None:
    return draft_of(turn).get(BEHALF_KEY)


async def begin_on_behalf(turn: Turn, mode: str) -> None:
    turn.conversation.reset()
    draft_of(turn)[BEHALF_KEY] = mode
    turn.go(FLOW, "behalf_consent")
    await ask_behalf_consent(turn)


async def ask_behalf_consent(turn: Turn) -> None:
    turn.say(
        f"behalf.ask_consent_{on_behalf(turn)}",
        version=turn.services.config.notice_version,
        options=[
            turn.option("behalf.consent_given", "behalf:consent"),
            turn.option("option.cancel_report", "cmd:cancel"),
        ],
    )


async def confirming_behalf_consent(turn: Turn) -> None:
    if turn.payload != "behalf:consent":
        turn.reject("common.use_buttons")
        await ask_behalf_consent(turn)
        return
    draft_of(turn)["consent_version"] = turn.services.config.notice_version
    turn.go(FLOW, "resident_name")
    await ask_resident_name(turn)


async def ask_resident_name(turn: Turn) -> None:
    turn.say("behalf.ask_name")


async def naming_resident(turn: Turn) -> None:
    name = turn.text
    if not name or len(name) > MAX_NAME_CHARS:
        turn.reject("behalf.ask_name")
        return
    draft_of(turn)["resident_name"] = name
    turn.go(FLOW, "description")
    await ask_description(turn)
