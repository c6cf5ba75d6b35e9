"""/status: the resident's own cases, each stage in plain words with who handles it and the
next date, and buttons to add something or withdraw (bot/handlers/my_cases.py)."""

from __future__ import annotations

from backend.resident_records import MyCase
from bot.handlers import booking_changes
from bot.messages import Option
from bot.turn import Turn

SHOWN_CASES = 5
FINISHED = ("resolved", "failed", "withdrawn", "closed")
IN_HAND = ("accepted", "scheduled", "in_mediation")


async def show_status(turn: Turn) -> None:
    cases = await turn.backend.my_cases_desk.cases()
    appointments, appointment_options = await booking_changes.status_lines(turn)
    if not cases and not appointments:
        turn.say("status.none", options=[turn.option("menu.report", "cmd:new")])
        return
    blocks = [turn.t("status.title", count=len(cases))] if cases else []
    blocks += [describe(turn, case) for case in cases[:SHOWN_CASES]]
    if len(cases) > SHOWN_CASES:
        blocks.append(turn.t("status.more", count=len(cases) - SHOWN_CASES))
    if appointments:
        blocks.append("\n".join([turn.t("booking.status_title"), *appointments]))
    turn.say_text("\n\n".join(blocks), options=[*appointment_options, *_actions(turn, cases)])


def _actions(turn: Turn, cases: list[MyCase]) -> list[Option]:
    """With one open case the buttons act on it; with several, the resident picks one next."""
    addable = [c for c in cases if c.can_add]
    withdrawable = [c for c in cases if c.can_withdraw]
    options: list[Option] = []
    if addable:
        tail = f":{addable[0].number}" if len(addable) == 1 else ""
        options.append(turn.option("mycases.add", f"mycase:add{tail}"))
    if withdrawable:
        tail = f":{withdrawable[0].number}" if len(withdrawable) == 1 else ""
        options.append(turn.option("mycases.withdraw", f"mycase:withdraw{tail}"))
    if options and turn.conversation.flow is None:
        options.append(turn.option("mycases.menu", "cmd:start"))
    return options


def describe(turn: Turn, case: MyCase) -> str:
    stage = _stage(turn, case)
    if case.next_date is not None and case.status not in FINISHED:
        stage += turn.t(f"mycases.next.{case.next_date_kind}", date=turn.t.when(case.next_date))
    return turn.t(
        "mycases.case",
        number=case.number,
        category=turn.t(f"category.{case.category}"),
        stage=stage,
    )


def _stage(turn: Turn, case: MyCase) -> str:
    english = turn.conversation.locale == "en" and case.organization_name_en
    org = (case.organization_name_en if english else case.organization_name) or ""
    if case.status in FINISHED or not org:
        return turn.t(f"status.{case.status}")
    if case.status == "referred_to_court":
        return turn.t("mycases.stage.court", organization=org)
    if case.waiting:
        key = "escalated" if case.status == "escalated" else "waiting"
        return turn.t(f"mycases.stage.{key}", organization=org)
    mediator = (
        turn.t("mycases.mediator_named", name=case.mediator_name)
        if case.mediator_name
        else turn.t("mycases.mediator_unnamed")
    )
    stage = case.status if case.status in IN_HAND else "accepted"
    return turn.t(f"mycases.stage.{stage}", organization=org, mediator=mediator)
