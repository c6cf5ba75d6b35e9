"""/status: the resident's own cases, each stage in plain words."""

from __future__ import annotations

from bot.turn import Turn

SHOWN_CASES = 5


async def show_status(turn: Turn) -> None:
    cases = await turn.backend.my_cases()
    if not cases:
        turn.say("status.none", options=[turn.option("menu.report", "cmd:new")])
        return
    locale = turn.conversation.locale
    blocks = [turn.t("status.title", count=len(cases))]
    for case in cases[:SHOWN_CASES]:
        org = (
            case.organization_name_en
            if locale == "en" and case.organization_name_en
            else case.organization_name
        ) or turn.t("summary.unknown")
        blocks.append(
            turn.t(
                "status.case",
                number=case.number,
                category=turn.t(f"category.{case.category}"),
                stage=turn.t(f"status.{case.status}"),
                organization=org,
                mediator=case.mediator_name or turn.t("status.mediator_pending"),
                updated=turn.t.when(case.updated_at),
            )
        )
    if len(cases) > SHOWN_CASES:
        blocks.append(turn.t("status.more", count=len(cases) - SHOWN_CASES))
    turn.say_text("\n\n".join(blocks))
