"""The registry of conversations: each flow is a dict of steps, each step asks and answers.

Keeping `ask` beside `answer` lets any interruption (/help, /lang, talk to a person)
put the same question again afterwards, in the user's current language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.turn import Turn

StepFn = Callable[[Turn], Awaitable[None]]
RESUME_KEY = "_resume"


@dataclass(frozen=True)
class Step:
    ask: StepFn
    answer: StepFn


FLOWS: dict[str, dict[str, Step]] = {}


def register(flow: str, steps: dict[str, Step]) -> None:
    FLOWS[flow] = steps


def current_step(turn: Turn) -> Step | None:
    conv = turn.conversation
    if conv.flow is None or conv.step is None:
        return None
    return FLOWS.get(conv.flow, {}).get(conv.step)


async def ask_again(turn: Turn) -> bool:
    """Puts the current question again; False when the user is not in a flow."""
    step = current_step(turn)
    if step is None:
        return False
    await step.ask(turn)
    return True


def suspend(turn: Turn) -> None:
    """Remembers where the user was, so a side trip can come back to it."""
    conv = turn.conversation
    if conv.flow and RESUME_KEY not in turn.data:
        turn.data[RESUME_KEY] = [conv.flow, conv.step]


def has_suspended(turn: Turn) -> bool:
    return RESUME_KEY in turn.data


async def resume(turn: Turn) -> bool:
    saved = turn.data.pop(RESUME_KEY, None)
    if not saved:
        turn.go(None, None)
        return False
    turn.go(saved[0], saved[1])
    return await ask_again(turn)
