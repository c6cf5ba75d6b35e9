"""Scripted intake conversations, end to end through the dialogue engine and the case store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.case_views import show_case
from backend.models import Case, Consent
from tests.bot.conversation_steps import pick_category, start_report
from tests.chat import ChatDriver


async def _case(app, number: str) -> dict:
    async with app.db.sessions() as session:
        detail = await show_case(session, number, reveal=True, viewer="test", clock=app.store.clock)
    assert detail is not None
    return detail


def _number(text: str) -> str:
    import re

    found = re.search(r"\d{4}-\d{6}", text)
    assert found, text
    return found.group(0)


async def test_neighbour_dispute_reported_end_to_end(app) -> None:
    chat = ChatDriver(app.dialogue, "villager-1")
    await start_report(chat, "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着，说了好几次也不听")
    assert "邻里纠纷" in chat.text and "对吗" in chat.text  # suggested, one tap to confirm
    await chat.tap("对，就是这个")
    assert "哪个镇" in chat.text
    await chat.say("枫桥镇陈家村")
    assert "对方是谁" in chat.text
    await chat.say("隔壁邻居王某")
    await chat.tap("最近几天")
    assert "多少钱" not in chat.text  # no amount for a neighbour dispute
    await chat.tap("停止侵害")
    await chat.say("有录音和视频")
    await chat.tap("完成")
    assert "联系电话" in chat.text
    await chat.say("138 1234 5678")
    summary = chat.text
    assert "请核对" in summary and "枫桥镇 陈家村" in summary and "138****5678" in summary
    await chat.tap("确认提交")
    number = _number(chat.text)
    assert "陈家村" in chat.text and "调解委员会" in chat.text

    case = await _case(app, number)
    assert case["category"] == "neighbour" and case["category_confirmed_by"] == "nlu"
    assert (case["town"], case["village"]) == ("fengqiao", "fengqiao.chenjia")
    assert case["organization"] == "fengqiao.chenjia.committee"
    assert case["status"] == "routed" and case["mediator"] is not None
    assert case["contact_phone"] == "13812345678"
    assert case["desired_outcome"] == "停止侵害、恢复原状"
    assert case["amount_yuan"] is None
    assert case["started_on"] == "2026-11-13"
    assert [e["note"] for e in case["evidence"]] == ["有录音和视频"]
    assert case["parties"][1] == {
        "side": "respondent",
        "role": "neighbour",
        "name": "隔壁邻居王某",
        "contact": None,
    }
    assert [e["kind"] for e in case["events"]] == ["created", "status_changed", "offered"]
    assert case["events"][0]["data"] == {"channel": "console", "reported_by": "self"}


@pytest.mark.parametrize(
    ("account", "category", "place", "amount_answer", "amount", "organization"),
    [
        (
            "老板拖欠我们三个月工资，一共两万八，打电话也不接，我在店口的厂里做了两年",
            "labour",
            "店口镇侯家村",
            None,
            28000,
            "labour_committee",
        ),
        (
            "前天骑电动车在路口被一辆小轿车撞了，腿骨折住院，对方保险公司一直拖着不赔",
            "traffic_accident",
            "璜山镇西山村",
            "5万",
            50000,
            "traffic_committee",
        ),
        (
            "我和老公结婚八年，他常年在外面赌钱不回家，我想离婚，孩子抚养权想要过来",
            "family_marriage",
            "大唐街道庙前村",
            None,
            None,
            "family_committee",
        ),
        (
            "去年借给同村的表哥6万块钱打了欠条，说好年底还，现在人躲着不见",
            "debt_contract",
            "牌头镇斗岩村",
            "六万",
            60000,
            "paitou.douyan.committee",
        ),
    ],
)
async def test_reports_of_several_categories_are_routed(
    app,
    account: str,
    category: str,
    place: str,
    amount_answer: str | None,
    amount: int | None,
    organization: str,
) -> None:
    chat = ChatDriver(app.dialogue, f"resident-{category}")
    await start_report(chat, account)
    await pick_category(chat, category)
    await chat.say(place)
    await chat.tap("不方便说")
    await chat.say("2025年10月")
    if "多少钱" in chat.text:
        if amount_answer:
            await chat.say(amount_answer)
        else:
            await chat.tap(f"{amount:,} 元")  # the amount found in the account, one tap
    await chat.say("希望尽快解决")
    await chat.tap("没有，跳过")
    await chat.say("13900001111")
    await chat.tap("确认提交")
    case = await _case(app, _number(chat.text))
    assert case["category"] == category
    assert case["amount_yuan"] == amount
    assert case["started_on"] == "2025-10"
    assert case["organization"] == organization
    assert case["desired_outcome"] == "希望尽快解决"


async def test_editing_a_field_from_the_summary(app) -> None:
    chat = ChatDriver(app.dialogue, "editor")
    await start_report(chat, "物业公司一直不修电梯，老人上下楼很困难，还照样收物业费")
    await pick_category(chat, "property_management")
    await chat.say("暨阳街道西施社区")
    await chat.say("小区物业公司")
    await chat.tap("一个月内")
    await chat.tap("不涉及钱")
    await chat.tap("请调解员帮忙协商")
    await chat.tap("没有，跳过")
    await chat.say("13800000001")
    assert "138****0001" in chat.text
    await chat.tap("修改")
    await chat.tap("联系电话")
    assert "联系电话" in chat.text
    await chat.say("13600000002")
    assert "请核对" in chat.text and "136****0002" in chat.text  # straight back to the summary
    await chat.tap("修改")
    await chat.tap("地点")
    await chat.say("陶朱街道袁家村")
    assert "陶朱街道 袁家村" in chat.text and "请核对" in chat.text
    await chat.tap("确认提交")
    case = await _case(app, _number(chat.text))
    assert case["contact_phone"] == "13600000002"
    assert case["village"] == "taozhu.yuanjia"


async def test_changing_the_category_asks_for_the_amount_it_needs(app) -> None:
    chat = ChatDriver(app.dialogue, "recategorise")
    await start_report(chat, "邻居家的树长过来挡住我家的光，叫他修剪他不肯")
    await pick_category(chat, "neighbour")
    await chat.say("次坞镇吴家村")
    await chat.say("邻居")
    await chat.tap("更早")
    await chat.tap("赔礼道歉")
    await chat.tap("没有，跳过")
    await chat.say("13700000003")
    await chat.tap("修改")
    await chat.tap("类别")
    await chat.tap("看全部类别" if "看全部类别" in chat.options() else "不对")
    await chat.tap("借款欠债")
    assert "多少钱" in chat.text  # debt needs an amount, so it is asked before the summary
    await chat.say("3000元")
    assert "请核对" in chat.text and "3,000 元" in chat.text


async def test_cancel_in_the_middle_discards_the_draft(app) -> None:
    chat = ChatDriver(app.dialogue, "canceller")
    await start_report(chat, "隔壁养的狗天天晚上叫，还咬伤过我家鸡")
    await pick_category(chat, "neighbour")
    await chat.say("/cancel")
    assert "确定不报了吗" in chat.text
    await chat.tap("继续填写")
    assert "哪个镇" in chat.text  # the same question again, nothing lost
    await chat.say("取消")
    await chat.tap("是的，取消")
    assert "已取消" in chat.text
    await chat.say("/status")
    assert "还没有登记" in chat.text
    async with app.db.sessions() as session:
        assert (await session.scalars(select(Case))).first() is None


async def test_consent_declined_stores_no_report(app) -> None:
    chat = ChatDriver(app.dialogue, "declines")
    await chat.say("我要反映村里修路占了我家的地")
    await chat.tap("不同意")
    assert "没法在线登记" in chat.text
    async with app.db.sessions() as session:
        consents = (await session.scalars(select(Consent))).all()
        assert [c.accepted for c in consents] == [False]
        assert (await session.scalars(select(Case))).first() is None


async def test_greeting_is_not_a_dispute(app) -> None:
    chat = ChatDriver(app.dialogue, "greeter")
    reply = await chat.say("你好")
    assert "解纷" in reply and "隐私说明" not in reply
    assert "我要反映纠纷" in chat.options()


async def test_status_lists_only_the_residents_own_cases(app) -> None:
    first = ChatDriver(app.dialogue, "owner-a")
    await start_report(first, "对门邻居把垃圾堆在楼道里，臭得不行")
    await pick_category(first, "neighbour")
    for move in ("山下湖镇下王村", "对门"):
        await first.say(move)
    await first.tap("今天")
    await first.tap("停止侵害")
    await first.tap("没有，跳过")
    await first.say("13500000005")
    await first.tap("确认提交")
    number = _number(first.text)
    await first.say("/status")
    assert number in first.text and "等待调解员接案" in first.text
    other = ChatDriver(app.dialogue, "owner-b")
    await other.say("/status")
    assert number not in other.text and "还没有登记" in other.text
