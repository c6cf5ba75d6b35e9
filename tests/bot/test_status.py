"""/status in plain words: stage, who handles the case and the next date, in the county's time."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from backend.models import Assignment
from tests.bot.conversation_steps import report_neighbour_case
from tests.case_setup import accept, case_row
from tests.chat import ChatDriver


async def test_a_waiting_case_shows_the_organisation_and_the_answer_deadline(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    async with app.db.sessions() as session:
        offer = await session.scalar(select(Assignment).filter_by(status="offered"))
    assert offer is not None
    deadline = app.dialogue.services.texts.for_locale("zh").when(offer.respond_by)
    await chat.say("/status")
    assert chat.text == (
        "您共有 1 件登记：\n\n"
        f"编号 {number}｜邻里纠纷\n"
        f"已交给枫桥镇陈家村人民调解委员会，等待调解员接案，最迟 {deadline} 前答复"
    )
    assert re.fullmatch(r"\d+月\d+日 \d\d:\d\d", deadline)
    await chat.tap("返回菜单")
    assert "请选择" in chat.text


async def test_a_taken_case_names_its_mediator_and_mediation_deadline(app, clock) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    clock.advance(timedelta(hours=3))  # 13:00 in the county
    name = await accept(app, number)
    await chat.say("查询")
    assert f"枫桥镇陈家村人民调解委员会的调解员{name}已接案，会和您联系" in chat.text
    assert "调解期限到 12月20日 13:00" in chat.text
    assert (await case_row(app, number)).mediator is not None


async def test_status_in_english(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await chat.say("/lang")
    await chat.tap("English")
    await chat.say("/status")
    assert f"No. {number} | " in chat.text
    assert (
        "with Fengqiao Town Chenjia Village People's Mediation Committee, "
        "waiting for a mediator to take it, answer by 22 Nov, 10:00 at the latest"
    ) in chat.text
    assert chat.options() == ["Add information", "Withdraw", "Back to the menu"]


async def test_during_a_report_status_answers_then_asks_again(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await chat.say("楼上邻居家漏水，把我家天花板泡坏了")
    if "对吗" in chat.text:
        await chat.tap("对，就是这个")
    await chat.say("/status")
    assert number in chat.text and "哪个镇" in chat.text
    status_buttons = [o.label for o in chat.last[0].options]
    assert status_buttons == ["补充情况", "撤回"]  # no "back to the menu" mid-report


async def test_a_booked_hour_is_the_next_date_of_a_taken_case(app, clock) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)  # 枫桥镇陈家村, judge 王秀英 on Tuesday mornings
    await accept(app, number)
    await chat.say("预约")
    await chat.tap("11月24日 周二 09:00")
    await chat.tap("当面")
    await chat.say("/status")
    assert "调解时间 11月24日 09:00" in chat.text and "调解期限到" not in chat.text
    clock.advance(timedelta(days=5))  # the hour has passed: the mediation deadline again
    await chat.say("/status")
    assert "调解期限到 12月20日" in chat.text
