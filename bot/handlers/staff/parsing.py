"""Reading a staff request from a tapped button or a typed command.

Buttons carry `accept:NUMBER`, `decline:NUMBER` (the assignment push) or
`staff:ACTION:NUMBER[:EXTRA]`; typed commands are `/cases`, `/case NUMBER`,
`/note NUMBER TEXT`, `/contact NUMBER TEXT`, `/outcome NUMBER`, `/court NUMBER`,
`/confirm NUMBER`, `/register CODE`, `/proxy`, `/offline`, or the plain words below.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.turn import Turn

INVITE_CODE_LENGTH = 8
TYPED = {
    "cases": "cases",
    "case": "view",
    "note": "note",
    "contact": "contact",
    "outcome": "outcome",
    "court": "court",
    "confirm": "confirm",
    "register": "register",
    "proxy": "proxy",
    "offline": "offline",
}
WORDS = {
    "我的案件": "cases",
    "案件列表": "cases",
    "注册": "register",
    "my cases": "cases",
    "代报": "proxy",
    "代为登记": "proxy",
    "线下登记": "offline",
}
ACTIONS = {
    "cases",
    "view",
    "accept",
    "decline",
    "note",
    "contact",
    "outcome",
    "court",
    "confirm",
    "register",
    "proxy",
    "offline",
}


@dataclass(frozen=True)
class StaffRequest:
    action: str
    number: str | None = None
    extra: str | None = None
    # Plain words such as 我的案件 mean something to residents too: for someone who is not
    # staff they fall through to the resident's side instead of "staff only".
    plain_words: bool = False


def staff_request(turn: Turn) -> StaffRequest | None:
    payload = turn.payload or ""
    head, _, rest = payload.partition(":")
    if head in ("accept", "decline") and rest:
        return StaffRequest(head, rest)
    if head == "staff":
        action, _, tail = rest.partition(":")
        number, _, extra = tail.partition(":")
        if action in ACTIONS:
            return StaffRequest(action, number or None, extra or None)
    return _typed(turn.text)


def _typed(text: str) -> StaffRequest | None:
    if text.startswith("/"):
        name, _, rest = text[1:].partition(" ")
        action = TYPED.get(name.split("@", 1)[0].lower())
        if action is None:
            return None
        number, _, extra = rest.strip().partition(" ")
        return StaffRequest(action, number or None, extra.strip() or None)
    first, _, rest = text.partition(" ")
    action = WORDS.get(first.casefold()) or WORDS.get(text.casefold())
    if action is None:
        return None
    number = rest.strip() or None if first.casefold() in WORDS else None
    if action == "register" and not _looks_like_code(number or ""):
        return None  # a resident saying 注册 (sign up) is not redeeming an invite
    return StaffRequest(action, number, plain_words=True)


def _looks_like_code(text: str) -> bool:
    code = "".join(ch for ch in text if ch.isalnum())
    return len(code) == INVITE_CODE_LENGTH and code.isascii()
