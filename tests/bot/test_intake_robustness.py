"""Bad input at every step, restarts, interruptions: the resident never loses an answer."""

from __future__ import annotations

import pytest

from jiefen.app import build_app
from tests.bot.conversation_steps import pick_category, start_report
from tests.chat import ChatDriver

LONG = "很长的话" * 1250  # 5,000 characters
BAD_INPUTS = ["", "   ", LONG, "😡😡😡", "？？？"]


async def _to_place_step(chat: ChatDriver) -> None:
    await start_report(chat, "邻居在我家门口乱停车，进出都不方便，说他还骂人")
    await pick_category(chat, "neighbour")


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=["empty", "spaces", "5000-chars", "emoji", "marks"])
async def test_bad_input_at_every_step_keeps_the_question(app, bad: str) -> None:
    chat = ChatDriver(app.dialogue, f"bad-{len(bad)}-{bad[:1]}")
    await _to_place_step(chat)
    answers = [
        ("哪个镇", "枫桥镇枫源村"),
        ("对方是谁", "邻居小李"),
        ("什么时候开始", "上个月"),
        ("希望达到什么结果", "让他别再堵门"),
        ("证据", None),
        ("联系电话", "13912345678"),
    ]
    for question, good in answers:
        assert question in chat.text, chat.text
        reply = await chat.say(bad)
        assert "Traceback" not in reply and reply.strip()
        if question == "证据" and bad == LONG:
            assert "已记下 1 项" in reply  # a long note is kept (shortened), not refused
            await chat.tap("完成")
            continue
        assert question in reply or "请再" in reply or "请" in reply, reply
        if question == "证据":
            await chat.tap("没有，跳过" if "没有，跳过" in chat.options() else "完成")
        else:
            await chat.say(good)
    assert "请核对" in chat.text
    for fact in ("枫桥镇 枫源村", "邻居小李", "上个月", "让他别再堵门", "139****5678"):
        assert fact in chat.text


async def test_wrong_phone_numbers_are_refused_politely(app) -> None:
    chat = ChatDriver(app.dialogue, "phone-typos")
    await _to_place_step(chat)
    for answer in ("枫桥镇桥亭村", "邻居"):
        await chat.say(answer)
    await chat.tap("今天")
    await chat.tap("赔礼道歉")
    await chat.tap("没有，跳过")
    for attempt, wrong in enumerate(("1381234567", "23812345678", "电话号码", "12345678901234")):
        reply = await chat.say(wrong)
        assert "号码好像不对" in reply
        # stuck after two misses: a person is one tap away
        assert ("找工作人员" in chat.options()) == (attempt >= 1)
    await chat.say("0575-87654321")
    assert "请核对" in chat.text and "0575-****4321" in chat.text


async def test_long_account_is_kept_up_to_the_limit(app) -> None:
    chat = ChatDriver(app.dialogue, "storyteller")
    await chat.say("/new")
    await chat.tap("同意")
    reply = await chat.say("邻居占了我家的路" + "他还天天骂人" * 900)
    assert "已保存前 3000 个字" in reply


async def test_unknown_village_offers_the_towns(app) -> None:
    chat = ChatDriver(app.dialogue, "lost")
    await _to_place_step(chat)
    reply = await chat.say("火星村")
    assert "没有找到「火星村」" in reply and "枫桥镇" in chat.options()
    await chat.tap("枫桥镇")
    assert "枫桥镇的哪个村" in chat.text
    await chat.tap("桥亭村")
    assert "对方是谁" in chat.text


async def test_a_village_name_in_two_towns_is_asked_about(app) -> None:
    chat = ChatDriver(app.dialogue, "ambiguous")
    await _to_place_step(chat)
    await chat.say("陈家村")
    assert "哪一个" in chat.text
    assert {"枫桥镇 陈家村", "牌头镇 陈家村"} <= set(chat.options())
    await chat.tap("牌头镇 陈家村")
    assert "对方是谁" in chat.text


async def test_numbers_answer_buttons(app) -> None:
    chat = ChatDriver(app.dialogue, "numbers")
    await chat.say("隔壁的空调外机对着我家窗户吹热风，噪音也很大")
    await chat.say("1")  # 同意
    assert "对吗" in chat.text or "哪一类" in chat.text
    await chat.say("1")
    assert "哪个镇" in chat.text


async def test_restart_in_the_middle_loses_nothing(settings, clock, shared_nlu) -> None:
    first = await build_app(settings, clock=clock, nlu=shared_nlu)
    chat = ChatDriver(first.dialogue, "survivor")
    await _to_place_step(chat)
    await chat.say("店口镇江边村")
    await chat.say("邻居老赵")
    await first.close()  # the process stops in the middle of the report

    second = await build_app(settings, clock=clock, nlu=shared_nlu)
    try:
        chat.dialogue = second.dialogue
        await chat.say("/start")
        assert "还没填完" in chat.text
        await chat.tap("继续填写")
        assert "什么时候开始" in chat.text
        await chat.say("今年三月")
        await chat.tap("赔礼道歉")
        await chat.tap("没有，跳过")
        await chat.say("13312345678")
        assert "店口镇 江边村" in chat.text and "邻居老赵" in chat.text
        await chat.tap("确认提交")
        assert "案件编号" in chat.text
    finally:
        await second.close()


async def test_restart_command_starts_over(app) -> None:
    chat = ChatDriver(app.dialogue, "restarter")
    await _to_place_step(chat)
    await chat.say("/restart")
    assert "重新开始" in chat.text and "我要反映纠纷" in chat.options()
    await chat.say("/start")
    assert "还没填完" not in chat.text


async def test_unknown_command_and_help_keep_the_question(app) -> None:
    chat = ChatDriver(app.dialogue, "helpme")
    await _to_place_step(chat)
    await chat.say("/foo")
    assert "不认识" in chat.text and "哪个镇" in chat.text
    await chat.say("/help")
    assert "/status" in chat.text and "哪个镇" in chat.text


async def test_switching_language_mid_report(app) -> None:
    chat = ChatDriver(app.dialogue, "bilingual")
    await _to_place_step(chat)
    await chat.say("/lang")
    await chat.tap("English")
    assert "English from now on" in chat.text and "Which town" not in chat.text
    assert "Where did it happen" in chat.text
    await chat.say("Fengqiao Chenjia")
    assert "Who is the other party" in chat.text or "Which one" in chat.text


async def test_talk_to_a_person_records_a_callback_and_continues(app) -> None:
    from sqlalchemy import select

    from backend.case_views import list_callbacks
    from backend.models import CallbackRequest

    chat = ChatDriver(app.dialogue, "needs-help")
    await _to_place_step(chat)
    await chat.say("枫桥镇陈家村")
    await chat.say("人工")
    assert "电话号码" in chat.text
    await chat.say("13811112222")
    assert "枫桥镇人民调解中心" in chat.text or "枫桥镇" in chat.text
    assert "对方是谁" in chat.text  # back where the resident was
    async with app.db.sessions() as session:
        request = (await session.scalars(select(CallbackRequest))).one()
        assert request.phone == "13811112222"
        seen_by_centre = await list_callbacks(session, organization="fengqiao.centre")
    assert [c["phone"] for c in seen_by_centre] == ["138****2222"]
    assert seen_by_centre[0]["context"].startswith("邻居在我家门口乱停车")


async def test_threat_of_violence_gets_emergency_advice_at_once(app) -> None:
    chat = ChatDriver(app.dialogue, "danger")
    await chat.say("/new")
    await chat.tap("同意")
    reply = await chat.say("他说今晚要拿刀砍死我全家，因为宅基地的事吵了好几年")
    assert "110" in reply


async def test_when_no_category_fits_a_person_is_one_tap_away(app) -> None:
    chat = ChatDriver(app.dialogue, "no-fit")
    await start_report(chat, "我家祖坟旁边的老树被人偷偷砍了，不知道找谁")
    if "对吗" in chat.text:
        await chat.tap("不对")
    else:
        await chat.tap("看全部类别")
    assert "都不是，找工作人员" in chat.options()
    await chat.tap("都不是，找工作人员")
    assert "电话号码" in chat.text
