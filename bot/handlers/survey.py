"""After-care answers: the satisfaction survey and "has the agreement been kept?".

Both arrive as taps on pushed buttons: `survey:NUMBER:QUESTION:VALUE` (overall 1-5, fair,
fast, then a free comment or `...:comment:skip`) and `followup:NUMBER:ANSWER` (kept | partly
| not_kept). Each tap is answered with the next question; the comment is the one typed
answer (flow `survey`, step `comment`). A report being filled in waits meanwhile and is asked
again afterwards. A second tap, or a tap after the survey closed, is answered politely and
changes nothing. The state diagram is in docs/conversations/survey.md.
"""

from __future__ import annotations

from backend.aftercare_records import (
    CHOICES,
    FOLLOW_UP_PREFIX,
    QUESTIONS,
    SKIP,
    SURVEY_PREFIX,
    FollowUpReceipt,
    SurveyProgress,
    choice_key,
    choice_payload,
    question_key,
)
from bot.flows import Step, ask_again, has_suspended, register, resume, suspend
from bot.handlers.menu import menu
from bot.handlers.text_checks import is_meaningful
from bot.turn import Turn

FLOW = "survey"
NUMBER_KEY = "survey_number"
FOLLOW_UP_ANSWERS = ("kept", "partly", "not_kept")


async def try_handle(turn: Turn) -> bool:
    """True when the message was an after-care tap (and has been answered)."""
    payload = turn.payload or ""
    if payload.startswith(SURVEY_PREFIX):
        parts = payload[len(SURVEY_PREFIX) :].split(":")
        if len(parts) != 3 or parts[1] not in QUESTIONS or parts[2] not in CHOICES[parts[1]]:
            return False
        number, question, value = parts
        await _survey_answer(turn, number, question, None if value == SKIP else value)
        return True
    if payload.startswith(FOLLOW_UP_PREFIX):
        number, _, answer = payload[len(FOLLOW_UP_PREFIX) :].partition(":")
        if answer not in FOLLOW_UP_ANSWERS:
            return False
        receipt = await turn.backend.aftercare_desk.answer_follow_up(number, answer)
        _say_follow_up(turn, receipt)
        await _back(turn)
        return True
    return False


# --- the survey --------------------------------------------------------------------------


async def _survey_answer(turn: Turn, number: str, question: str, value: str | None) -> None:
    progress = await turn.backend.aftercare_desk.answer_survey(number, question, value)
    await _after(turn, progress)


async def _after(turn: Turn, progress: SurveyProgress) -> None:
    if progress.state == "next" and progress.next_question == "comment":
        if turn.conversation.flow != FLOW:
            suspend(turn)  # an unfinished report is asked again afterwards
        turn.data[NUMBER_KEY] = progress.number
        turn.go(FLOW, "comment")
        await ask_comment(turn)
        return
    if progress.state == "next" and progress.next_question is not None:
        _ask(turn, progress.number, progress.next_question)
        return
    turn.say(f"survey.reply.{progress.state}", number=progress.number)
    if turn.conversation.flow == FLOW:
        await _finish(turn)
    else:
        await _back(turn)


def _ask(turn: Turn, number: str, question: str) -> None:
    options = [
        turn.option(choice_key(question, v), choice_payload(number, question, v))
        for v in CHOICES[question]
    ]
    turn.say(question_key(question), options=options)


async def ask_comment(turn: Turn) -> None:
    number = turn.data.get(NUMBER_KEY, "")
    turn.say(
        question_key("comment"),
        options=[turn.option(choice_key("comment", SKIP), choice_payload(number, "comment", SKIP))],
    )


async def commenting(turn: Turn) -> None:
    """Typed words are the comment (the skip button arrives as a `survey:` tap)."""
    if not turn.text or not is_meaningful(turn.text):
        turn.reject("survey.comment_hint")
        await ask_comment(turn)
        return
    number = turn.data.get(NUMBER_KEY, "")
    progress = await turn.backend.aftercare_desk.answer_survey(number, "comment", turn.text)
    await _after(turn, progress)


async def _finish(turn: Turn) -> None:
    turn.data.pop(NUMBER_KEY, None)
    if has_suspended(turn):
        await resume(turn)
        return
    turn.go(None, None)
    turn.say("survey.anything_else", options=menu(turn))


# --- has the agreement been kept? --------------------------------------------------------


def _say_follow_up(turn: Turn, receipt: FollowUpReceipt) -> None:
    if receipt.state != "recorded":
        turn.say(f"aftercare.reply.{receipt.state}", number=receipt.number)
    elif receipt.reopened:
        turn.say(
            "aftercare.reply.reopened", number=receipt.number, mediator=receipt.mediator_name or ""
        )
    else:
        turn.say(f"aftercare.reply.{receipt.answer}", number=receipt.number)


async def _back(turn: Turn) -> None:
    """After a tap outside the survey's own step: the question the resident was at, if any."""
    if not await ask_again(turn):
        turn.say("survey.anything_else", options=menu(turn))


register(FLOW, {"comment": Step(ask_comment, commenting)})
