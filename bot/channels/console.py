"""Console channel: a terminal conversation, or a scripted one read line by line from stdin.

Buttons are shown as numbered lines; the resident answers with the number or the label.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.messages import IncomingMessage, OutgoingMessage

CHANNEL = "console"
Handler = Callable[[IncomingMessage], Awaitable[list[OutgoingMessage]]]


def render(message: OutgoingMessage) -> str:
    lines = [message.text]
    lines += [f"  [{i}] {option.label}" for i, option in enumerate(message.options, 1)]
    return "\n".join(lines)


async def run_console(
    handle: Handler, user_id: str, source: TextIO, sink: TextIO, *, interactive: bool
) -> int:
    """Returns how many messages were handled. Scripted input echoes each line with `> `."""
    handled = 0
    loop = asyncio.get_running_loop()
    if interactive:
        sink.write(render_all(await handle(IncomingMessage(CHANNEL, user_id, "/start"))) + "\n")
    while True:
        if interactive:
            sink.write("> ")
            sink.flush()
        line = await loop.run_in_executor(None, source.readline)
        if not line:
            break
        text = line.rstrip("\r\n")
        if not interactive:
            sink.write(f"> {text}\n")
        replies = await handle(IncomingMessage(CHANNEL, user_id, text))
        handled += 1
        sink.write(render_all(replies) + "\n\n")
        sink.flush()
    return handled


def render_all(replies: list[OutgoingMessage]) -> str:
    return "\n".join(render(r) for r in replies)
