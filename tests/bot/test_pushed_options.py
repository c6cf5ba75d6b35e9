"""Answering a push by its number on WeChat, where options are numbered lines: the outbox
worker remembers a delivered push's options, so "1" means the push's first option, as it
does for the dialogue's own replies. Over the real WeChat protocol (signed XML in, the fake
WeChat API's customer-service messages out). On channels with buttons the worker adds nothing:
a tap sends the payload itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, select

from backend.models import Case, ConversationState
from backend.models_scheduling import Survey
from bot.turn import OPTIONS_KEY
from tests.aftercare_steps import DueJobs, end_case, file_case
from tests.bot.channels.test_wechat import APP_ID, APP_SECRET, Resident, Setup
from tests.bot.staff_steps import Pushes, invite, staff_chat
from tests.delivering import deliver, worker
from tests.fakes.wechat_api import FakeWeChatApi
from tests.servers import serving


@pytest.fixture
async def wechat(app, tmp_path: Path) -> AsyncIterator[Setup]:
    api = FakeWeChatApi(app_id=APP_ID, app_secret=APP_SECRET)
    async with serving(api.asgi()) as api_base, httpx.AsyncClient(timeout=30) as http:
        yield Setup(app, api, api_base, tmp_path / "evidence", http)


async def _case(app, number: str) -> Case:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        return case


async def _state(app, channel: str, user_id: str) -> ConversationState:
    async with app.db.sessions() as session:
        row = await session.scalar(
            select(ConversationState).filter_by(channel=channel, external_id=user_id)
        )
        assert row is not None
        return row


async def test_a_mediator_on_wechat_accepts_an_offer_by_typing_1(wechat: Setup) -> None:
    channel = wechat.channel()
    outbox = worker(wechat.app, channel)
    async with wechat.serve(channel) as base:
        zhou = Resident(wechat.http, base, "o-mediator-zhou")  # neighbour disputes, 陈家村
        linked = await zhou.say(f"注册 {await invite(wechat.app, 'm_zhou_03')}")
        assert "账号已关联" in linked and "1. " in linked  # the reply offers options too
        number = await file_case(wechat.app, "resident-1")

        await deliver(outbox)
        [offer] = wechat.api.texts_to(zhou.openid)
        assert number in offer and "1. 接受" in offer and "2. 婉拒" in offer
        zhou.last = offer  # what is on the phone's screen now
        reply = await zhou.choose("接受")
        assert "13812345678" in reply  # the resident's phone, once the case is theirs
    assert (await _case(wechat.app, number)).status == "accepted"


async def test_a_resident_on_wechat_answers_the_survey_by_numbers(wechat: Setup, clock) -> None:
    channel = wechat.channel()
    outbox = worker(wechat.app, channel)
    async with wechat.serve(channel) as base:
        villager = Resident(wechat.http, base, "o-villager-survey")
        number = await file_case(wechat.app, villager.openid, channel="wechat")
        await end_case(wechat.app, number, "failed", "对方拒绝赔偿")
        await deliver(outbox)
        menu = await villager.say("你好")  # a reply with numbered options of its own
        assert "1. " in menu

        clock.advance(timedelta(days=1))
        await DueJobs(wechat.app, clock).run_due()
        await deliver(outbox)
        survey_push = wechat.api.texts_to(villager.openid)[-1]
        assert number in survey_push and "1. 非常满意" in survey_push
        villager.last = survey_push
        assert "公正" in await villager.say("1")
        assert "及时" in await villager.choose("基本公正")
        assert "意见或建议" in await villager.choose("还可以")
        assert "谢谢您的评价" in await villager.choose("跳过")

    async with wechat.app.db.sessions() as session:
        case_id = (await _case(wechat.app, number)).id
        survey = await session.scalar(select(Survey).filter_by(case_id=case_id))
    assert survey is not None
    assert (survey.status, survey.overall, survey.fair, survey.fast) == (
        "answered",
        5,
        "partly",
        "partly",
    )


async def test_a_push_that_did_not_go_out_leaves_the_numbers_to_the_last_reply(
    wechat: Setup,
) -> None:
    channel = wechat.channel()
    outbox = worker(wechat.app, channel)
    async with wechat.serve(channel) as base:
        zhou = Resident(wechat.http, base, "o-mediator-zhou")
        await zhou.say(f"注册 {await invite(wechat.app, 'm_zhou_03')}")
        shown = (await _state(wechat.app, "wechat", zhou.openid)).data[OPTIONS_KEY]
        number = await file_case(wechat.app, "resident-1")
        wechat.api.custom_errors.append(45009)  # WeChat's daily quota: try again later
        await deliver(outbox)
        assert wechat.api.texts_to(zhou.openid) == []
        assert (await _state(wechat.app, "wechat", zhou.openid)).data[OPTIONS_KEY] == shown
    assert (await _case(wechat.app, number)).status != "accepted"


async def _transactions(app, deliver_round) -> int:
    """How many transactions one delivery round begins."""
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    event.listen(app.db.engine.sync_engine, "begin", count)
    try:
        await deliver_round()
    finally:
        event.remove(app.db.engine.sync_engine, "begin", count)
    return len(begun)


async def test_channels_with_buttons_cost_no_extra_transaction(app) -> None:
    """The same offer, to a mediator on a channel with buttons and to one on a channel with
    numbered lines: only the latter writes the conversation, in one more transaction."""
    buttons = Pushes(app, ("telegram",))
    numbered = Pushes(app, ("console",))
    numbered.channels["console"].numbered_options = True
    zhou = await staff_chat(app, "m_zhou_03", channel="telegram")
    luo = await staff_chat(app, "m_luo_03", channel="console")
    before = await _state(app, "telegram", zhou.user_id)

    number = await file_case(app, "resident-1")
    with_buttons = await _transactions(app, buttons.worker.run_once)
    [offer] = buttons.channels["telegram"].received[zhou.user_id]
    assert offer.options and number in offer.text
    after = await _state(app, "telegram", zhou.user_id)
    assert (after.version, after.data) == (before.version, before.data)

    zhou.last = [offer]
    await zhou.tap("婉拒")
    await zhou.tap("手上案件太多")  # handed to 骆荣生, whose chat numbers its options
    with_numbers = await _transactions(app, numbered.worker.run_once)
    [offer] = numbered.channels["console"].received[luo.user_id]
    remembered = (await _state(app, "console", luo.user_id)).data[OPTIONS_KEY]
    assert remembered == [[o.label, o.payload] for o in offer.options]
    assert with_numbers == with_buttons + 1
