"""Plain records of after-care as the dialogue sees it (no ORM objects), and the survey's
questions, shared by the pushes (backend) and the replies (bot) so both ask the same way."""

from __future__ import annotations

from dataclasses import dataclass

SURVEY_PREFIX = "survey:"
FOLLOW_UP_PREFIX = "followup:"
# In the order asked; each answer is one tap ("comment" is typed, or skipped with a tap).
QUESTIONS = ("overall", "fair", "fast", "comment")
CHOICES: dict[str, tuple[str, ...]] = {
    "overall": ("5", "4", "3", "2", "1"),
    "fair": ("yes", "partly", "no"),
    "fast": ("yes", "partly", "no"),
    "comment": ("skip",),
}
SKIP = "skip"


def question_key(question: str) -> str:
    return f"survey.ask.{question}"


def choice_key(question: str, value: str) -> str:
    return f"survey.{question}.{value}"


def choice_payload(number: str, question: str, value: str) -> str:
    return f"{SURVEY_PREFIX}{number}:{question}:{value}"


@dataclass(frozen=True)
class SurveyProgress:
    """Where a resident's survey stands after an answer.

    `state`: "next" (ask `next_question`), "done" (all answered now), "already" (answered
    before: nothing changed), "closed" (expired: nothing stored) or "not_found".
    """

    number: str
    state: str
    next_question: str | None = None


@dataclass(frozen=True)
class FollowUpReceipt:
    """The resident's answer to "has the agreement been kept?".

    `state`: "recorded", "already" (answered before), "expired" or "not_asked"; `reopened`
    when the answer sent the case back to its mediator.
    """

    number: str
    state: str
    answer: str | None = None
    reopened: bool = False
    mediator_name: str | None = None
