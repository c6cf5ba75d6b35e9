"""Reusable resident moves for the scripted conversation tests."""

from __future__ import annotations

import re

from tests.chat import ChatDriver

CATEGORY_LABELS = {
    "neighbour": "邻里纠纷",
    "labour": "劳动争议",
    "traffic_accident": "交通事故",
    "family_marriage": "婚姻家庭",
    "debt_contract": "借款欠债",
    "medical": "医疗纠纷",
    "property_management": "物业纠纷",
    "administrative": "和政府部门",
}


async def start_report(chat: ChatDriver, account: str) -> None:
    """Tells the story as a first message and agrees to the privacy notice."""
    reply = await chat.say(account)
    assert "隐私说明" in reply, reply
    await chat.tap("同意")


async def pick_category(chat: ChatDriver, key: str) -> None:
    label = CATEGORY_LABELS[key]
    if "对吗" in chat.text and label in chat.text:
        await chat.tap("对，就是这个")
        return
    if any(label in o for o in chat.options()):
        await chat.tap(label)
        return
    await chat.tap("看全部类别" if "看全部类别" in chat.options() else "不对")
    await chat.tap(label)


async def report_neighbour_case(
    chat: ChatDriver,
    account: str = "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着",
    place: str = "枫桥镇陈家村",
    phone: str = "13812345678",
) -> str:
    """A whole neighbour-dispute report, submitted; returns the case number."""
    reply = await chat.say(account)
    if "隐私说明" in reply:
        await chat.tap("同意")
    await pick_category(chat, "neighbour")
    await chat.say(place)
    await chat.say("隔壁邻居王某")
    await chat.tap("最近几天")
    await chat.tap("停止侵害")
    await chat.tap("没有，跳过")
    await chat.say(phone)
    await chat.tap("确认提交")
    found = re.search(r"\d{4}-\d{6}", chat.text)
    assert found and "已为您登记" in chat.text, chat.text
    return found.group(0)
