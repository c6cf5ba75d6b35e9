"""The engine: one user's messages in order, failures answered politely with nothing half-stored."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

from bot.engine import Dialogue
from bot.messages import IncomingMessage
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


def _breaking_on(app, text: str) -> Dialogue:
    """The app's dialogue, except that the NLU fails on `text`."""
    services = app.dialogue.services
    return Dialogue(app.store, replace(services, nlu=FailingNlu(services.nlu, broken=text)))


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
    broken = _breaking_on(app, "这句话会让模型出错")
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
    story = "对门邻居装修把我家墙震裂了"
    flaky = _breaking_on(app, story)
    chat = ChatDriver(flaky, "flaky")
    await chat.say("/new")
    await chat.tap("同意")
    reply = await chat.say(story)
    assert "抱歉" in reply and "之前填写的内容都还在" in reply
    await chat.say("/start")
    assert "还没填完" in chat.text  # the consent and the started report survived
    await chat.tap("继续填写")
    assert "发生了什么" in chat.text


async def _at_place_step(app, user: str) -> ChatDriver:
    chat = ChatDriver(app.dialogue, user)
    await start_report(chat, "邻居把水泥堆在我家门口的路上，车子都开不进去")
    await pick_category(chat, "neighbour")
    return chat


async def _conversation_version(app, user: str) -> int:
    from sqlalchemy import select

    from backend.models import ConversationState

    async with app.db.sessions() as session:
        version = await session.scalar(
            select(ConversationState.version).filter_by(external_id=user)
        )
    assert version is not None
    return version


async def test_a_retried_platform_message_is_answered_again_not_handled_twice(app) -> None:
    chat = await _at_place_step(app, "retry-user")
    place = IncomingMessage(chat.channel, "retry-user", "枫桥镇枫源村", message_id="MsgId-1")
    first = await app.dialogue.handle(place)
    version = await _conversation_version(app, "retry-user")
    again = await app.dialogue.handle(place)  # WeChat's retry after 5 s
    assert [m.text for m in again] == [m.text for m in first]
    assert "对方是谁" in first[0].text
    assert await _conversation_version(app, "retry-user") == version  # the retry wrote nothing
    reply = await app.dialogue.handle(
        IncomingMessage(chat.channel, "retry-user", "邻居老陈", message_id="MsgId-2")
    )
    assert "什么时候开始" in reply[0].text  # the place was taken once, not twice


async def test_simultaneous_copies_are_handled_once(app) -> None:
    from sqlalchemy import func, select

    from backend.models import InboundMessage

    await _at_place_step(app, "twin-user")
    copy = IncomingMessage("console", "twin-user", "璜山镇杨家村", message_id="dup-7")
    replies = await asyncio.gather(*(app.dialogue.handle(copy) for _ in range(3)))
    texts = {tuple(m.text for m in r) for r in replies}
    assert len(texts) == 1 and "对方是谁" in next(iter(texts))[0]
    async with app.db.sessions() as session:
        count = await session.scalar(select(func.count(InboundMessage.id)))
    assert count == 1


async def test_a_failed_message_is_not_claimed_so_its_retry_is_handled(app) -> None:
    story = "楼上邻居天天往下扔烟头，烫坏了我晒的被子"
    flaky = _breaking_on(app, story)
    await ChatDriver(flaky, "retried").say("/new")
    await flaky.handle(IncomingMessage("console", "retried", payload="consent:yes"))
    failed = await flaky.handle(IncomingMessage("console", "retried", story, message_id="m-9"))
    assert "抱歉" in failed[0].text
    retried = await app.dialogue.handle(
        IncomingMessage("console", "retried", story, message_id="m-9")
    )
    assert "邻里纠纷" in "\n".join(m.text for m in retried)


class _CrashBeforeCommit:
    """The app's case store, except that the process "dies" right after a case was filed
    (its pushes written), before the transaction commits."""

    def __init__(self, store) -> None:
        self.store = store

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    @contextlib.asynccontextmanager
    async def dialogue_session(self, channel: str, user_id: str):
        async with self.store.dialogue_session(channel, user_id) as unit:
            filed = unit.submit_case

            async def file_then_die(draft):
                await filed(draft)
                raise RuntimeError("the process died before the commit")

            unit.submit_case = file_then_die
            yield unit


async def test_a_push_is_stored_with_the_change_behind_it_or_not_at_all(app) -> None:
    from sqlalchemy import func, select

    from backend.models import Case, Mediator, OutboxMessage
    from tests.case_setup import link_chat

    async def count(model) -> int:
        async with app.db.sessions() as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0

    async with app.db.sessions() as session:
        codes = list(await session.scalars(select(Mediator.code).order_by(Mediator.id)))
    for i, code in enumerate(codes):  # whoever the case goes to can be pushed to
        await link_chat(app, code, f"staff-{i}")
    crashing = Dialogue(_CrashBeforeCommit(app.store), app.dialogue.services)
    chat = ChatDriver(crashing, "filer")
    await start_report(chat, "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着")
    await pick_category(chat, "neighbour")
    await chat.say("枫桥镇陈家村")
    await chat.say("隔壁邻居王某")
    await chat.tap("最近几天")
    await chat.tap("停止侵害")
    await chat.tap("没有，跳过")
    await chat.say("13812345678")
    summary = chat.last
    assert "抱歉" in await chat.tap("确认提交")
    assert (await count(Case), await count(OutboxMessage)) == (0, 0)  # neither without the other

    chat.dialogue, chat.last = app.dialogue, summary  # restarted; the same button tapped again
    assert "已为您登记" in await chat.tap("确认提交")
    assert await count(Case) == 1 and await count(OutboxMessage) >= 1
