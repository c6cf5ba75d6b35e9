"""One turn of a conversation: the message, the user's state, and the replies being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from backend.clock import Clock
from backend.records import Conversation
from bot.i18n import Texts, Translator
from bot.messages import IncomingMessage, Option, OutgoingMessage
from bot.places import PlaceDirectory
from bot.ports import DialogueBackend
from nlu.types import NluBackend

OPTIONS_KEY = "_options"
MISSES_KEY = "_misses"
HELP_PAYLOAD = "cmd:human"
# After this many answers in a row that a step could not use, the resident is "stuck" and
# the last reply offers a person.
STUCK_AFTER = 2


@dataclass(frozen=True)
class DialogueConfig:
    notice_version: str = "2026-11"
    description_max_chars: int = 3000
    short_answer_max_chars: int = 200
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class DialogueServices:
    """What every turn may use, shared by all turns of the process."""

    nlu: NluBackend
    texts: Texts
    places: PlaceDirectory
    clock: Clock
    config: DialogueConfig


@dataclass
class Turn:
    message: IncomingMessage
    backend: DialogueBackend
    services: DialogueServices
    payload: str | None = None
    replies: list[OutgoingMessage] = field(default_factory=list)
    offer_help: bool = False

    @property
    def conversation(self) -> Conversation:
        return self.backend.conversation

    @property
    def data(self) -> dict:
        return self.conversation.data

    @property
    def text(self) -> str:
        return self.message.text.strip()

    @property
    def t(self) -> Translator:
        return self.services.texts.for_locale(self.conversation.locale)

    def today(self) -> date:
        return self.services.clock.now().astimezone(ZoneInfo(self.services.config.timezone)).date()

    def option(self, label_key: str, payload: str, **params: object) -> Option:
        return Option(self.t(label_key, **params), payload)

    def say(
        self, key: str, *, options: list[Option] | tuple[Option, ...] = (), **params: object
    ) -> None:
        self.say_text(self.t(key, **params), options=options)

    def say_text(self, text: str, *, options: list[Option] | tuple[Option, ...] = ()) -> None:
        self.replies.append(OutgoingMessage(text, tuple(options)))
        if options:
            self.data[OPTIONS_KEY] = [[o.label, o.payload] for o in options]

    def reject(self, key: str, **params: object) -> None:
        """Says why an answer could not be used; the second time in a row, offers a person."""
        misses = self.data.get(MISSES_KEY, 0) + 1
        self.data[MISSES_KEY] = misses
        self.offer_help = self.offer_help or misses >= STUCK_AFTER
        self.say(key, **params)

    def go(self, flow: str | None, step: str | None) -> None:
        if (flow, step) != (self.conversation.flow, self.conversation.step):
            self.data.pop(MISSES_KEY, None)
        self.conversation.flow, self.conversation.step = flow, step

    def finish(self) -> None:
        """Adds the "talk to a person" button to the last reply when the resident is stuck."""
        if not self.offer_help or not self.replies:
            return
        if any(o.payload == HELP_PAYLOAD for m in self.replies for o in m.options):
            return
        last = self.replies.pop()
        self.say_text(last.text, options=[*last.options, self.option("menu.human", HELP_PAYLOAD)])


def resolve_payload(message: IncomingMessage, remembered: list[list[str]] | None) -> str | None:
    """A tapped button, or a typed number or label of the options last shown."""
    if message.payload:
        return message.payload
    text = message.text.strip()
    if not text or not remembered:
        return None
    if text.isdigit() and 1 <= int(text) <= len(remembered):
        return remembered[int(text) - 1][1]
    folded = text.casefold()
    for label, payload in remembered:
        if label.casefold() == folded:
            return payload
    return None
