"""A resident's own cases after /status: withdraw one, or add a message or evidence that reaches
the mediator.

Buttons carry `mycase:withdraw[:NUMBER]` and `mycase:add[:NUMBER]` (a mediator's message to the
resident offers `mycase:add:NUMBER` to reply); typed, 撤回 / 撤销 / 补充 alone or followed by a
case number, or /withdraw and /add. Without a number the resident picks one of their open
cases. A report being filled in waits meanwhile and is asked again afterwards.
The state diagram is in docs/conversations/my_cases.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from backend.resident_records import WITHDRAW_REASONS, CaseUnavailable, EvidenceFile, MyCase, Relay
from bot.flows import Step, has_suspended, register, resume, suspend
from bot.handlers.menu import menu
from bot.handlers.text_checks import is_meaningful
from bot.turn import Turn

FLOW = "my_cases"
PREFIX = "mycase:"
ACTION_KEY, NUMBER_KEY, SENT_KEY = "mycase_action", "mycase_number", "mycase_sent"
CASE_NUMBER = re.compile(r"\d{4}-\d{6}")
TYPED = re.compile(
    r"^(?:我要|我想)?(撤回|撤销|补充情况|补充)(?:一下)?(?:案件|案子)?\s*(?:\d{4}-\d{6})?$"
)
TYPED_ACTIONS = {"撤回": "withdraw", "撤销": "withdraw", "补充情况": "add", "补充": "add"}


def action_of(turn: Turn) -> str | None:
    """The action ("withdraw" or "add") a button or typed words ask for, if any."""
    payload = turn.payload or ""
    if payload.startswith(PREFIX):
        action = payload[len(PREFIX) :].partition(":")[0]
        return action if action in ("withdraw", "add") else None
    found = TYPED.match(turn.text)
    return TYPED_ACTIONS[found.group(1)] if found else None


def _number_in(turn: Turn) -> str | None:
    payload = turn.payload or ""
    if payload.startswith(PREFIX):
        return payload[len(PREFIX) :].partition(":")[2] or None
    found = CASE_NUMBER.search(turn.text)
    return found.group(0) if found else None


def _allows(case: MyCase, action: str) -> bool:
    return case.can_withdraw if action == "withdraw" else case.can_add


async def on_withdraw(turn: Turn) -> None:
    await _begin(turn, "withdraw")


async def on_add(turn: Turn) -> None:
    await _begin(turn, "add")


async def _begin(turn: Turn, action: str) -> None:
    if turn.conversation.flow != FLOW:
        suspend(turn)  # an unfinished report is asked again afterwards
    _forget(turn)
    turn.data[ACTION_KEY] = action
    number = _number_in(turn)
    if number:
        await _chosen(turn, number)
        return
    cases = [c for c in await turn.backend.my_cases_desk.cases() if _allows(c, action)]
    if not cases:
        turn.say("mycases.none_open")
        await _finish(turn)
    elif len(cases) == 1:
        await _chosen(turn, cases[0].number)
    else:
        turn.go(FLOW, "pick")
        await ask_pick(turn)


async def ask_pick(turn: Turn) -> None:
    action = turn.data.get(ACTION_KEY, "add")
    cases = [c for c in await turn.backend.my_cases_desk.cases() if _allows(c, action)]
    options = [
        turn.option(
            "mycases.pick_case",
            f"{PREFIX}{action}:{c.number}",
            number=c.number,
            category=turn.t(f"category.{c.category}"),
        )
        for c in cases[:5]
    ]
    turn.say(f"mycases.pick_{action}", options=[*options, turn.option("option.back", "back")])


async def picking(turn: Turn) -> None:
    """Buttons arrive as `mycase:` commands; here only a typed case number or "back"."""
    if turn.payload == "back":
        await _finish(turn)
        return
    number = _number_in(turn)
    if number is None:
        turn.reject("mycases.pick_hint")
        await ask_pick(turn)
        return
    await _chosen(turn, number)


async def _chosen(turn: Turn, number: str) -> None:
    action = turn.data.get(ACTION_KEY, "add")
    case = await turn.backend.my_cases_desk.case(number)
    if case is None:  # someone else's case answers exactly like one that does not exist
        if (turn.conversation.flow, turn.conversation.step) == (FLOW, "pick"):
            turn.reject("mycases.not_found", number=number)
            await ask_pick(turn)
            return
        turn.say("mycases.not_found", number=number)
        await _finish(turn)
        return
    if not _allows(case, action):
        court = action == "withdraw" and case.status == "referred_to_court"
        turn.say("mycases.at_court" if court else "mycases.closed", number=number)
        await _finish(turn)
        return
    turn.data[NUMBER_KEY] = number
    turn.data[SENT_KEY] = 0
    turn.go(FLOW, "withdraw" if action == "withdraw" else "add")
    await (ask_withdraw(turn) if action == "withdraw" else ask_add(turn))


# --- withdrawing -------------------------------------------------------------------------


async def ask_withdraw(turn: Turn) -> None:
    case = await turn.backend.my_cases_desk.case(turn.data.get(NUMBER_KEY, ""))
    category = turn.t(f"category.{case.category}") if case else ""
    options = [turn.option(f"mycases.reason.{r}", f"withdraw:{r}") for r in WITHDRAW_REASONS]
    turn.say(
        "mycases.confirm_withdraw",
        number=turn.data.get(NUMBER_KEY, ""),
        category=category,
        options=[*options, turn.option("mycases.keep", "withdraw:no")],
    )


async def confirming_withdraw(turn: Turn) -> None:
    payload = turn.payload or ""
    reason = payload.partition(":")[2] if payload.startswith("withdraw:") else None
    if reason == "no":
        turn.say("mycases.kept")
        await _finish(turn)
        return
    if reason not in WITHDRAW_REASONS:
        turn.reject("common.use_buttons")
        await ask_withdraw(turn)
        return
    number = turn.data[NUMBER_KEY]
    try:
        await turn.backend.my_cases_desk.withdraw(number, reason)
    except CaseUnavailable as refused:
        _say_unavailable(turn, refused, number)
    else:
        turn.say("mycases.withdrawn", number=number)
    await _finish(turn)


# --- adding a message or evidence --------------------------------------------------------


async def ask_add(turn: Turn) -> None:
    done = "option.evidence_done" if turn.data.get(SENT_KEY) else "option.back"
    turn.say(
        "mycases.ask_add",
        number=turn.data.get(NUMBER_KEY, ""),
        options=[turn.option(done, "add:done")],
    )


async def adding(turn: Turn) -> None:
    if turn.payload == "add:done":
        await _finish(turn)
        return
    number = turn.data[NUMBER_KEY]
    desk = turn.backend.my_cases_desk
    limit = turn.services.config.description_max_chars
    text = turn.text if turn.text and is_meaningful(turn.text) else None
    relay: Relay | None = None
    try:
        for i, item in enumerate(turn.message.attachments):
            caption = text[:limit] if text and i == 0 else None
            relay = await desk.add_evidence(number, EvidenceFile(**asdict(item)), caption)
        if relay is None and text is not None:
            relay = await desk.add_message(number, text[:limit])
    except CaseUnavailable as refused:
        _say_unavailable(turn, refused, number)
        await _finish(turn)
        return
    if relay is None:
        turn.reject("common.empty_answer")
        await ask_add(turn)
        return
    turn.data[SENT_KEY] = turn.data.get(SENT_KEY, 0) + 1
    if text is not None and len(text) > limit:
        turn.say("mycases.add_truncated", limit=limit)
    turn.say(_relay_key(relay), **_relay_params(turn, relay))
    turn.say("mycases.add_more", options=[turn.option("option.evidence_done", "add:done")])


def _relay_key(relay: Relay) -> str:
    return f"mycases.sent_to_{relay.reached or 'case'}"


def _relay_params(turn: Turn, relay: Relay) -> dict[str, str]:
    if relay.reached == "mediator":
        return {"mediator": relay.mediator_name or ""}
    if relay.reached == "organization":
        english = turn.conversation.locale == "en" and relay.organization_name_en
        name = relay.organization_name_en if english else relay.organization_name
        return {"organization": name or ""}
    return {}


# --- shared ------------------------------------------------------------------------------


def _say_unavailable(turn: Turn, refused: CaseUnavailable, number: str) -> None:
    key = {"not_found": "mycases.not_found", "at_court": "mycases.at_court"}.get(
        refused.reason, "mycases.closed"
    )
    turn.say(key, number=number)


def _forget(turn: Turn) -> None:
    for key in (ACTION_KEY, NUMBER_KEY, SENT_KEY):
        turn.data.pop(key, None)


async def _finish(turn: Turn) -> None:
    """Back to the report being filled in, or to the menu."""
    _forget(turn)
    if has_suspended(turn):
        await resume(turn)
        return
    turn.go(None, None)
    turn.say("mycases.anything_else", options=menu(turn))


register(
    FLOW,
    {
        "pick": Step(ask_pick, picking),
        "withdraw": Step(ask_withdraw, confirming_withdraw),
        "add": Step(ask_add, adding),
    },
)
