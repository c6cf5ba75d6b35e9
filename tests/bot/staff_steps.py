"""Test support for the staff side: chat accounts linked by invite, and pushes delivered to
recording channels so a test can read them and tap their buttons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from starlette.routing import BaseRoute

from backend.invites import create_invite
from backend.models import OutboxMessage
from bot.delivery import OutboxWorker
from bot.messages import OutgoingMessage
from tests.chat import ChatDriver


@dataclass
class RecordingChannel:
    """A channel plug-in whose platform is a list: what it would have sent, per recipient."""

    name: str
    received: dict[str, list[OutgoingMessage]] = field(default_factory=lambda: defaultdict(list))
    numbered_options: bool = False  # buttons: a tap sends the payload itself
    pull_pushes: bool = False

    def routes(self) -> list[BaseRoute]:
        return []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        self.received[recipient].append(message)


class Pushes:
    """Delivers the outbox the way the server's worker does, into recording channels."""

    def __init__(self, app, channels: tuple[str, ...] = ("console", "telegram", "webchat")):
        self.app = app
        self.channels = {name: RecordingChannel(name) for name in channels}
        self.worker = OutboxWorker(
            app.db, self.channels, app.dialogue.services.texts, app.store.clock
        )

    async def deliver(self) -> None:
        while await self.worker.run_once():
            pass

    async def to(self, chat: ChatDriver) -> list[OutgoingMessage]:
        """Delivers what is due and hands the chat's new pushes to it (so it can tap them)."""
        await self.deliver()
        inbox = self.channels[chat.channel].received.pop(chat.user_id, [])
        chat.last = inbox
        return inbox

    async def pending_purposes(self) -> list[str]:
        async with self.app.db.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [r.purpose for r in rows if r.status == "pending"]


async def invite(app, staff_code: str) -> str:
    async with app.db.sessions() as session, session.begin():
        return await create_invite(session, staff_code, at=app.store.clock.now())


async def staff_chat(app, staff_code: str, *, channel: str = "telegram") -> ChatDriver:
    """A staff member's chat account, linked to their record with an invite code."""
    chat = ChatDriver(app.dialogue, f"{channel}-{staff_code}", channel=channel)
    code = await invite(app, staff_code)
    reply = await chat.say(f"注册 {code}")
    assert "账号已关联" in reply, reply
    return chat
