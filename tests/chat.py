"""A test driver that talks to the dialogue the way a resident does: text and button taps."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messages import Attachment, IncomingMessage, OutgoingMessage


@dataclass
class ChatDriver:
    dialogue: object
    user_id: str = "resident-1"
    channel: str = "console"
    last: list[OutgoingMessage] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    async def say(self, text: str, attachments: tuple[Attachment, ...] = ()) -> str:
        return await self._send(
            IncomingMessage(self.channel, self.user_id, text, attachments=attachments), f"> {text}"
        )

    async def tap(self, label_part: str) -> str:
        """Taps the button of the last replies labelled exactly `label_part`, else the first
        whose label contains it."""
        shown = [o for message in reversed(self.last) for o in message.options]
        exact = [o for o in shown if o.label == label_part]
        for option in exact or [o for o in shown if label_part in o.label]:
            return await self._send(
                IncomingMessage(self.channel, self.user_id, payload=option.payload),
                f"> [{option.label}]",
            )
        raise AssertionError(f"no button {label_part!r} in {self.options()}")

    async def _send(self, message: IncomingMessage, echo: str) -> str:
        self.last = await self.dialogue.handle(message)  # type: ignore[attr-defined]
        self.transcript.append(echo)
        self.transcript.extend(m.text for m in self.last)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.last)

    def options(self) -> list[str]:
        return [o.label for m in self.last for o in m.options]
