"""The mediator side over the real protocols: one running server (`create_web_app` with its
outbox worker) serves a resident in the web chat over HTTP and two mediators on Telegram,
long-polling a fake Bot API on loopback.

report (web chat) -> offer pushed to 周玲芝 (Telegram) -> declined with a reason -> offered to
骆荣生 -> accepted -> the resident's page shows who took it -> agreement recorded -> the page
shows the terms; the case is resolved with its event trail. The channels come from
`jiefen.channels.build_channels`, as `jiefen serve` wires them from settings.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backend.invites import create_invite
from backend.models import Case, CaseEvent
from bot.channels.telegram import TelegramChannel
from jiefen.channels import build_channels
from jiefen.server import create_web_app
from jiefen.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.servers import serving

ZHOU_CHAT, LUO_CHAT = 310003, 320003
STORY = "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着，说了好几次也不听"
TERMS = "王某保证晚上十点后不施工，赔偿300元"
RESIDENT_PHONE = "13812345678"
LUO_PHONE = "13900000063"  # 骆荣生's own number, config/organizations.yaml


async def eventually(
    check: Callable[[], Any], *, within: float = 10, every: float = 0.05, what: str = ""
) -> Any:
    """Polls `check` (sync or async) until it returns something truthy, which it returns.
    Waits for an asynchronous effect (a push delivered); nothing here depends on time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what or check}")
        await asyncio.sleep(every)


@dataclass
class Browser:
    """The resident's phone browser, driven through the JSON endpoints the page uses."""

    http: httpx.AsyncClient
    last: list[dict[str, Any]] = field(default_factory=list)
    pushed: list[dict[str, Any]] = field(default_factory=list)  # what /api/updates gave
    sent: int = 0

    async def post(self, body: dict[str, Any]) -> str:
        self.sent += 1
        response = await self.http.post("/api/message", json={"id": f"m{self.sent}", **body})
        assert response.status_code == 200, response.text
        self.last = response.json()["replies"]
        return self.text

    async def say(self, text: str) -> str:
        return await self.post({"text": text})

    async def tap(self, label_part: str) -> str:
        for reply in reversed(self.last):
            for option in reply["options"]:
                if label_part in option["label"]:
                    return await self.post({"payload": option["payload"]})
        raise AssertionError(f"no button {label_part!r} in {self.options()}")

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.last)

    def options(self) -> list[str]:
        return [o["label"] for r in self.last for o in r["options"]]

    async def push_with(self, part: str) -> str | None:
        """Polls /api/updates as the page does; the text of the first push containing `part`."""
        response = await self.http.get("/api/updates")
        assert response.status_code == 200, response.text
        self.pushed += response.json()["replies"]
        return next((p["text"] for p in self.pushed if part in p["text"]), None)


@dataclass
class TelegramUser:
    """A mediator in the Telegram app: updates go into the fake's getUpdates queue, and what the
    bot sent to this chat is read back from the fake's sendMessage log."""

    fake: FakeTelegram
    chat_id: int
    seen: int = 0

    def mine(self) -> list[dict[str, Any]]:
        return [m for m in self.fake.sent if int(m["chat_id"]) == self.chat_id]

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.mine()[self.seen :])

    async def send(self, update: dict[str, Any], until: str) -> str:
        self.seen = len(self.mine())
        self.fake.queue(update)
        await eventually(
            lambda: until in self.text, what=f"{until!r} in chat {self.chat_id}: {self.text!r}"
        )
        return self.text

    async def say(self, text: str, until: str) -> str:
        return await self.send(self.fake.text_update(self.chat_id, text), until)

    async def tap(self, label: str, until: str) -> str:
        """Presses the newest button so labelled: a callback query with its callback_data."""
        for message in reversed(self.mine()):
            for button in self.fake.buttons(message):
                if button["text"] == label:
                    update = self.fake.callback_update(self.chat_id, button["callback_data"])
                    return await self.send(update, until)
        raise AssertionError(f"no button {label!r} for chat {self.chat_id}")

    async def push_with(self, part: str) -> dict[str, Any]:
        """Waits for the worker's sendMessage to this chat containing `part`."""

        def arrived() -> dict[str, Any] | None:
            return next((m for m in self.mine() if part in m["text"]), None)

        found: dict[str, Any] = await eventually(
            arrived, what=f"a push with {part!r} to chat {self.chat_id}"
        )
        self.seen = len(self.mine())
        return found


@pytest.fixture
async def telegram_api() -> AsyncIterator[tuple[FakeTelegram, str]]:
    """The fake Bot API on loopback, and the base URL the bot is pointed at."""
    fake = FakeTelegram()
    async with serving(fake.asgi()) as url:
        yield fake, f"{url}/bot"


@pytest.fixture
def settings(settings: Settings, telegram_api: tuple[FakeTelegram, str]) -> Settings:
    """Telegram switched on against the fake (long polling: no webhook URL); an idle outbox
    worker looks again every 50 ms so pushes go out promptly."""
    fake, api_base = telegram_api
    return settings.model_copy(
        update={
            "telegram_token": fake.token,
            "telegram_api_base": api_base,
            "outbox_poll_seconds": 0.05,
        }
    )


async def _invite(app, staff_code: str) -> str:
    """What `jiefen mediators invite CODE` prints."""
    async with app.db.sessions() as session, session.begin():
        return await create_invite(session, staff_code, at=app.store.clock.now())


async def _register(app, fake: FakeTelegram, chat_id: int, staff_code: str) -> TelegramUser:
    mediator = TelegramUser(fake, chat_id)
    await mediator.say(f"注册 {await _invite(app, staff_code)}", until="账号已关联")
    return mediator


async def _report(resident: Browser) -> str:
    reply = await resident.say(STORY)
    assert "隐私说明" in reply, reply
    await resident.tap("同意")
    if "对吗" in resident.text and "邻里纠纷" in resident.text:
        await resident.tap("对，就是这个")
    else:
        await resident.tap("邻里纠纷")
    assert "哪个镇" in resident.text, resident.text
    await resident.say("枫桥镇陈家村")
    await resident.say("隔壁邻居王某")
    await resident.tap("最近几天")
    await resident.tap("停止侵害")
    await resident.tap("没有，跳过")
    assert "联系电话" in resident.text, resident.text
    await resident.say(RESIDENT_PHONE)
    await resident.tap("确认提交")
    found = re.search(r"\d{4}-\d{6}", resident.text)
    assert found and "陈家村" in resident.text, resident.text
    return found.group(0)


async def _case_and_events(app, number: str) -> tuple[Case, list[str]]:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        rows = await session.scalars(
            select(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id)
        )
        events = [e.kind if e.kind != "status_changed" else f"->{e.to_status}" for e in rows]
        return case, events


@pytest.fixture
async def server(app) -> AsyncIterator[str]:
    """`jiefen serve` in-process: the web chat and Telegram from settings, the outbox worker
    and the deadline sweep running beside them."""
    channels = build_channels(app.settings, app)
    assert sorted(c.name for c in channels) == ["telegram", "webchat"]
    telegram = next(c for c in channels if isinstance(c, TelegramChannel))
    telegram.poll_timeout = timedelta(seconds=1)  # a quick stop at the end
    async with serving(create_web_app(app, channels, run_worker=True)) as base:
        yield base


async def test_web_resident_and_telegram_mediators_decline_accept_resolve(
    app, telegram_api: tuple[FakeTelegram, str], server: str
) -> None:
    fake, _ = telegram_api
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        health = (await http.get("/healthz")).json()
        assert health["channels"] == ["telegram", "webchat"] and not health["failed_channels"]

        zhou = await _register(app, fake, ZHOU_CHAT, "m_zhou_03")  # neighbour disputes
        luo = await _register(app, fake, LUO_CHAT, "m_luo_03")  # same committee
        assert "周玲芝" in zhou.text and "骆荣生" in luo.text

        resident = Browser(http)
        page = await http.get("/")
        assert page.status_code == 200 and "jiefen_web" in http.cookies
        number = await _report(resident)

        # the worker pushes the offer to 周玲芝's Telegram chat, minimised, with two buttons
        offer = await zhou.push_with(number)
        assert "138" not in offer["text"] and "王某" not in offer["text"]
        assert offer["reply_markup"]["inline_keyboard"] == [
            [
                {"text": "接受", "callback_data": f"accept:{number}"},
                {"text": "婉拒", "callback_data": f"decline:{number}"},
            ]
        ]
        await zhou.tap("婉拒", until="为什么")
        await zhou.tap("手上案件太多", until="骆荣生")  # handed to the committee's other mediator

        offer = await luo.push_with(number)
        assert "138" not in offer["text"]
        assert await resident.push_with("") is None  # nothing for the resident while offered
        assert [b["text"] for b in fake.buttons(offer)] == ["接受", "婉拒"]
        accepted = await luo.tap("接受", until=RESIDENT_PHONE)  # the phone once it is theirs
        assert f"您已接手案件 {number}" in accepted

        told = await eventually(lambda: resident.push_with("骆荣生"), what="the accepted push")
        assert number in told and "接手" in told and "陈家村" in told
        assert LUO_PHONE not in told  # the mediator's own number stays private

        await luo.tap("记录调解结果", until=f"案件 {number} 的结果是")
        await luo.tap("达成协议", until="协议的主要内容")
        recorded = await luo.say(TERMS, until="已记录")
        assert f"案件 {number} 达成协议" in recorded

        agreement = await eventually(lambda: resident.push_with(TERMS), what="the agreement")
        assert number in agreement and "达成调解协议" in agreement

    assert fake.callbacks and sorted(fake.answered) == sorted(fake.callbacks)  # no spinners
    assert "getUpdates" in fake.calls and "setWebhook" not in fake.calls
    case, events = await _case_and_events(app, number)
    assert (case.status, case.outcome) == ("resolved", "agreement")
    assert events == [
        "created", "->routed", "offered", "declined", "offered", "->accepted",
        "personal_data_read", "->in_mediation", "->resolved",
    ]  # fmt: skip
