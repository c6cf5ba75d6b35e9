"""The main menu: the buttons a resident sees whenever nothing else is asked."""

from __future__ import annotations

from bot.messages import Option
from bot.turn import Turn


def menu(turn: Turn) -> list[Option]:
    return [
        turn.option("menu.report", "cmd:new"),
        turn.option("menu.status", "cmd:status"),
        turn.option("menu.book", "cmd:book"),
        turn.option("menu.human", "cmd:human"),
        turn.option("menu.help", "cmd:help"),
    ]
