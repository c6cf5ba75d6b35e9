"""Reusable resident moves for the scripted conversation tests."""

from __future__ import annotations

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
