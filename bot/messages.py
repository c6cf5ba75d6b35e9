"""Platform-neutral messages: what every channel adapter produces and consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo | document | voice | video
    path: str | None = None  # where the adapter stored the checked file
    mime_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    channel: str
    user_id: str
    text: str = ""
    payload: str | None = None  # set when the user tapped a button
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None


@dataclass(frozen=True)
class Option:
    label: str
    payload: str


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    options: tuple[Option, ...] = field(default_factory=tuple)


def to_record(message: OutgoingMessage) -> dict[str, Any]:
    """A reply as plain data, to be stored and sent again for a platform's retry."""
    return {"text": message.text, "options": [[o.label, o.payload] for o in message.options]}


def from_record(record: dict[str, Any]) -> OutgoingMessage:
    return OutgoingMessage(record["text"], tuple(Option(lbl, pl) for lbl, pl in record["options"]))
