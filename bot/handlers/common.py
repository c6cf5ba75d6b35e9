"""Commands that work at any point (/start /new /status /withdraw /add /cancel /restart /help
/lang), talking to a person, and what to do with a message when no conversation is under way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.flows import RESUME_KEY, Step, ask_again, has_suspended, register, resume, suspend
from bot.handlers import booking, booking_changes, booking_hours, intake, my_cases, status
from bot.handlers.menu import menu
from bot.handlers.text_checks import is_meaningful
from bot.i18n import LOCALES
from bot.turn import Turn
from nlu.entities.phones import mask_phone, normalize_phone

# Whole messages that act as commands, for residents who never type a slash.
KEYWORDS = {
    "取消": "cancel",
    "不报了": "cancel",
    "cancel": "cancel",
    "帮助": "help",
    "help": "help",
    "菜单": "start",
    "menu": "start",
    "人工": "human",
    "转人工": "human",
    "找人工": "human",
    "人工客服": "human",
    "重新开始": "restart",
    "查询": "status",
    "查进度": "status",
    "进度": "status",
    "中文": "lang:zh",
    "english": "lang:en",
    "语言": "lang",
}


def command_of(turn: Turn) -> str | None:
    payload = turn.payload or ""
    if payload.startswith("cmd:"):
        return payload[4:]
    if payload.startswith("lang:"):
        return payload
    action = my_cases.action_of(turn)  # withdraw / add (buttons and typed words)
    if action is not None:
        return action
    action = booking.action_of(turn)  # book / appt / hours (buttons and typed words)
    if action is not None:
        return action
    text = turn.text
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return name if name in COMMANDS else "unknown"
    return KEYWORDS.get(text.casefold())


async def welcome(turn: Turn) -> None:
    turn.say("welcome", options=menu(turn))


async def on_start(turn: Turn) -> None:
    if intake.has_draft(turn):
        turn.say(
            "welcome.unfinished",
            options=[
                turn.option("option.continue", "cmd:continue"),
                turn.option("option.start_over", "cmd:restart"),
            ],
        )
        return
    turn.conversation.reset()
    await welcome(turn)


async def on_new(turn: Turn) -> None:
    if intake.has_draft(turn) and turn.payload != "cmd:new":
        await on_start(turn)
        return
    await intake.begin_report(turn)


async def on_continue(turn: Turn) -> None:
    resumed = await resume(turn) if has_suspended(turn) else await ask_again(turn)
    if not resumed:
        await welcome(turn)


async def on_restart(turn: Turn) -> None:
    turn.conversation.reset()
    turn.say("restarted")
    await welcome(turn)


async def on_cancel(turn: Turn) -> None:
    if not intake.has_draft(turn):
        turn.conversation.reset()
        turn.say("cancel.nothing", options=menu(turn))
        return
    suspend(turn)
    turn.go("cancel", "confirm")
    await ask_cancel(turn)


async def ask_cancel(turn: Turn) -> None:
    turn.say(
        "cancel.confirm",
        options=[
            turn.option("option.cancel_yes", "cancel:yes"),
            turn.option("option.continue", "cancel:no"),
        ],
    )


async def confirming_cancel(turn: Turn) -> None:
    if turn.payload == "cancel:yes":
        turn.conversation.reset()
        turn.say("cancel.done", options=menu(turn))
    elif turn.payload == "cancel:no":
        await resume(turn)
    else:
        turn.reject("common.use_buttons")
        await ask_cancel(turn)


async def on_help(turn: Turn) -> None:
    turn.say("help")
    if not await ask_again(turn):
        turn.say("help.menu", options=menu(turn))


async def on_status(turn: Turn) -> None:
    await status.show_status(turn)
    await ask_again(turn)


async def on_lang(turn: Turn) -> None:
    command = command_of(turn) or ""
    locale = command.partition(":")[2]
    if locale in LOCALES:
        await turn.backend.set_locale(locale)
        turn.say("lang.changed")
        if not await ask_again(turn):
            await welcome(turn)
        return
    turn.say_text(
        turn.t("lang.choose"),
        options=[turn.option("lang.zh", "lang:zh"), turn.option("lang.en", "lang:en")],
    )


async def on_unknown_command(turn: Turn) -> None:
    turn.say("command.unknown")
    if not await ask_again(turn):
        await welcome(turn)


async def talk_to_person(turn: Turn) -> None:
    suspend(turn)
    draft = turn.data.get("draft") or {}
    phone = draft.get("phone") or turn.backend.resident.phone
    if phone:
        await register_callback(turn, phone)
    else:
        turn.go("handoff", "phone")
        await ask_callback_phone(turn)


async def ask_callback_phone(turn: Turn) -> None:
    turn.say("handoff.ask_phone", options=[turn.option("option.back", "cmd:continue")])


async def giving_callback_phone(turn: Turn) -> None:
    phone = normalize_phone(turn.text) if turn.text else None
    if phone is None:
        turn.reject("intake.phone_invalid")
        return
    await register_callback(turn, phone)


async def register_callback(turn: Turn, phone: str) -> None:
    draft = turn.data.get("draft") or {}
    stage = turn.data.get(RESUME_KEY, [None, None])[1] or "idle"
    receipt = await turn.backend.request_callback(
        phone=phone,
        reason="stuck" if draft else "asked",
        town_code=draft.get("town_code"),
        context=draft.get("description"),
    )
    org = (
        receipt.organization_name_en
        if turn.conversation.locale == "en"
        else receipt.organization_name
    )
    turn.say("handoff.registered", organization=org or "", phone=mask_phone(phone), stage=stage)
    if has_suspended(turn):
        turn.say("handoff.continue_hint")
        await resume(turn)
    else:
        turn.go(None, None)


async def idle(turn: Turn) -> None:
    """No conversation under way: work out what the message wants."""
    text = turn.text
    if not text or not is_meaningful(text):
        await welcome(turn)
        return
    parsed = await turn.services.nlu.parse(text[: turn.services.config.description_max_chars])
    intent = parsed.intent.name
    if parsed.risk.level == "high":
        await intake.opening.warn_of_danger(turn, text, parsed)
        await intake.begin_report(turn, initial_text=text, warned=True)
    elif intent == "report_dispute":
        await intake.begin_report(turn, initial_text=text)
    elif intent in SIMPLE_INTENTS:
        await SIMPLE_INTENTS[intent](turn)
    else:
        turn.say("idle.out_of_scope", options=menu(turn))


async def _reply_then_menu(turn: Turn, key: str) -> None:
    turn.say(key, options=menu(turn))


SIMPLE_INTENTS: dict[str, Callable[[Turn], Awaitable[None]]] = {
    "greet": welcome,
    "check_status": on_status,
    "help": on_help,
    "talk_to_human": talk_to_person,
    "thanks": lambda turn: _reply_then_menu(turn, "idle.thanks"),
    "goodbye": lambda turn: _reply_then_menu(turn, "idle.goodbye"),
    "book_mediation": booking.on_book,
    "reschedule": booking_changes.on_reschedule_words,
    "cancel_booking": booking_changes.on_cancel_words,
}

COMMANDS: dict[str, Callable[[Turn], Awaitable[None]]] = {
    "start": on_start,
    "new": on_new,
    "continue": on_continue,
    "restart": on_restart,
    "cancel": on_cancel,
    "help": on_help,
    "status": on_status,
    "lang": on_lang,
    "human": talk_to_person,
    "withdraw": my_cases.on_withdraw,
    "add": my_cases.on_add,
    "book": booking.on_book,
    "appt": booking_changes.on_appointment,
    "hours": booking_hours.on_hours,
    "unknown": on_unknown_command,
}

register("cancel", {"confirm": Step(ask_cancel, confirming_cancel)})
register("handoff", {"phone": Step(ask_callback_phone, giving_callback_phone)})


async def run_command(turn: Turn, command: str) -> None:
    handler = on_lang if command.startswith("lang") else COMMANDS[command]
    await handler(turn)
