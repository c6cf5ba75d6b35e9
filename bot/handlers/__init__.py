"""Dispatch: staff requests first, then commands, then the step the user is in, else work
out what they want."""

from __future__ import annotations

from bot.flows import current_step
from bot.handlers import choose_handler, common, staff, survey
from bot.turn import Turn


async def dispatch(turn: Turn) -> None:
    if await staff.try_handle(turn) or await choose_handler.try_handle(turn):
        return
    if await survey.try_handle(turn):  # after-care taps, whatever the resident is doing
        return
    command = common.command_of(turn)
    if command is not None:
        await common.run_command(turn, command)
        return
    step = current_step(turn)
    if step is not None:
        await step.answer(turn)
        return
    if turn.conversation.flow is not None:  # a step that no longer exists after an upgrade
        turn.conversation.reset()
    await common.idle(turn)
