"""The engine: one user's messages in order, failures answered politely with nothing half-stored."""

from __future__ import annotations

import asyncio

from bot.engine import Dialogue
from bot.messages import IncomingMessage
from bot.turn import DialogueServices
from nlu.types import ParseResult
from tests.bot.conversation_steps import pick_category, start_report
from tests.chat import ChatDriver


class FailingNlu:
    """Wraps the real model, which breaks on one particular text."""

    name = "test"

    def __init__(self, inner, broken: str) -> None:
        self.inner, self.broken = inner, broken

    async def parse(self, text: str) -> ParseResult:
        if text == self.broken:
            raise RuntimeError("model exploded")
        return await self.inner.parse(text)


async def test_messages_of_one_user_are_handled_in_arrival_order(app) -> None:
    chat = ChatDriver(app.dialogue, "quick-typist")
    await start_report(chat, "楼上邻居家漏水把我家天花板泡坏了，他们不承认")
    await pick_category(chat, "neighbour")
    first = asyncio.create_task(
        chat.dialogue.handle(IncomingMessage("console", "quick-typist", "枫桥镇桥亭村"))
    )
    second = asyncio.create_task(
        chat.dialogue.handle(IncomingMessage("console", "quick-typist", "楼上的老张"))
    )
    place_reply, party_reply = await asyncio.gather(first, second)
    assert "对方是谁" in place_reply[0].text
    assert "什么时候开始" in party_reply[0].text


async def test_a_failure_is_answered_politely_and_loses_no_earlier_answer(app) -> None:
    services: DialogueServices = app.dialogue.services
    broken = Dialogue(
        app.store,
        DialogueServices(
            FailingNlu(services.nlu, broken="这句话会让模型出错"),
            services.texts,
            services.places,
            services.clock,
            services.config,
        ),
    )
    chat = ChatDriver(broken, "unlucky")
    await start_report(chat, "隔壁鸡鸭跑到我家菜地里吃菜，说了也不管")
    await pick_category(chat, "neighbour")
    await chat.say("璜山镇南山村")
    assert "对方是谁" in chat.text
    await chat.say("/new")  # a started report: asked whether to continue
    await chat.tap("继续填写")
    await chat.say("邻居阿三")
    reply = await ChatDriver(broken, "unlucky2").say("这句话会让模型出错")
    assert "抱歉" in reply and "Traceback" not in reply
    await chat.tap("今天")
    await chat.tap("赔偿损失")
    await chat.tap("没有，跳过")
    await chat.say("13700001234")
    assert "璜山镇 南山村" in chat.text and "邻居阿三" in chat.text


async def test_failure_mid_report_keeps_the_draft(app) -> None:
    services: DialogueServices = app.dialogue.services
    story = "对门邻居装修把我家墙震裂了"
    flaky = Dialogue(
        app.store,
        DialogueServices(
            FailingNlu(services.nlu, broken=story),
            services.texts,
            services.places,
            services.clock,
            services.config,
        ),
    )
    chat = ChatDriver(flaky, "flaky")
    await chat.say("/new")
    await chat.tap("同意")
    reply = await chat.say(story)
    assert "抱歉" in reply and "之前填写的内容都还在" in reply
    await chat.say("/start")
    assert "还没填完" in chat.text  # the consent and the started report survived
    await chat.tap("继续填写")
    assert "发生了什么" in chat.text
