"""Confirming the suggested category with one tap, or picking one from a list."""

from __future__ import annotations

from bot.handlers.intake.draft import advance, draft_of, mark_answered
from bot.messages import Option
from bot.turn import Turn
from nlu.types import CATEGORIES

CONFIDENT = 0.5
MENU_SIZE = 3


def _category_option(turn: Turn, key: str) -> Option:
    return turn.option(f"category.{key}", f"cat:{key}")


def suggestion(turn: Turn) -> str | None:
    draft = draft_of(turn)
    category = draft.get("nlu_category")
    if (
        draft.get("nlu_intent") == "report_dispute"
        and category
        and category != "other"
        and (draft.get("nlu_confidence") or 0) >= CONFIDENT
    ):
        return category
    return None


async def ask_category(turn: Turn) -> None:
    suggested = suggestion(turn)
    if suggested:
        label = turn.t(f"category.{suggested}")
        turn.say(
            "intake.category_suggest",
            category=label,
            options=[
                turn.option("option.yes_right", f"cat:{suggested}"),
                turn.option("intake.category_not_right", "cat_menu"),
            ],
        )
        return
    likely = [c for c in draft_of(turn).get("nlu_ranking", []) if c in CATEGORIES]
    options = [_category_option(turn, c) for c in likely[:MENU_SIZE]]
    options.append(turn.option("intake.category_show_all", "cat_menu"))
    options.append(turn.option("intake.category_none_fits", "cmd:human"))
    turn.say("intake.category_choose", options=options)


async def ask_category_list(turn: Turn) -> None:
    options = [_category_option(turn, c) for c in CATEGORIES]
    options.append(turn.option("intake.category_none_fits", "cmd:human"))
    turn.say("intake.category_list", options=options)


def _match_label(turn: Turn, text: str) -> str | None:
    folded = text.casefold()
    if not folded:
        return None
    for key in CATEGORIES:
        label = turn.t(f"category.{key}").casefold()
        if folded in label or label in folded:
            return key
    return None


async def confirming_category(turn: Turn) -> None:
    payload = turn.payload or ""
    if payload.startswith("cat:") and payload[4:] in CATEGORIES:
        choose(turn, payload[4:])
        await advance(turn)
        return
    matched = _match_label(turn, turn.text) if not payload else None
    if matched:
        choose(turn, matched)
        await advance(turn)
        return
    if payload != "cat_menu":
        turn.reject("intake.category_pick_hint")
    turn.go("intake", "category_list")
    await ask_category_list(turn)


async def choosing_category(turn: Turn) -> None:
    payload = turn.payload or ""
    key = payload[4:] if payload.startswith("cat:") else _match_label(turn, turn.text)
    if key not in CATEGORIES:
        turn.reject("common.use_buttons")
        await ask_category_list(turn)
        return
    choose(turn, key)
    await advance(turn)


def choose(turn: Turn, key: str) -> None:
    draft = draft_of(turn)
    draft["category"] = key
    draft["category_source"] = "nlu" if key == suggestion(turn) else "resident"
    mark_answered(turn, "category")
