"""Pure helpers for the Telegram adapter: replies as Telegram messages and keyboards, the
command menu, the resident's language. No network, no dialogue logic: easy to test alone."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Texts
from bot.messages import Option, OutgoingMessage

MAX_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit for a button's callback_data
SHORT_LABEL = 14  # display columns; labels this short go two to a row
COMMANDS = ("start", "new", "status", "cancel", "restart", "help", "lang")


@dataclass(frozen=True)
class TelegramMessage:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def _width(label: str) -> int:
    """Display columns: a Chinese character is as wide as two Latin letters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)


def keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    """One button per row, or two when every label is short (easier to tap on a phone)."""
    if not options:
        return None
    for option in options:
        if len(option.payload.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"button payload longer than 64 bytes: {option.payload!r}")
    buttons = [InlineKeyboardButton(o.label, callback_data=o.payload) for o in options]
    per_row = 2 if all(_width(o.label) <= SHORT_LABEL for o in options) else 1
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def render(message: OutgoingMessage) -> list[TelegramMessage]:
    """A reply as one Telegram message, or several when it is too long; buttons go last."""
    text = message.text or " "
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    last = len(parts) - 1
    return [
        TelegramMessage(part, keyboard(message.options) if i == last else None)
        for i, part in enumerate(parts)
    ]


def locale_of(language_code: str | None) -> str:
    """The language of the resident's Telegram app; Chinese unless it is English."""
    return "en" if (language_code or "").lower().startswith("en") else "zh"


def commands(texts: Texts, locale: str) -> list[BotCommand]:
    t = texts.for_locale(locale)
    return [BotCommand(name, t(f"telegram.command.{name}")) for name in COMMANDS]
