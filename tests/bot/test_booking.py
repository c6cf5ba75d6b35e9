"""Booking through the real dialogue and case store: a resident books the village judge by
words or by the menu, by video or in person, moves and cancels it from /status, reminders and
the judge's side; two residents tapping one slot at the same moment get it once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.booking_jobs import check_no_show, send_reminder
from backend.models_scheduling import Appointment
from bot.messages import IncomingMessage
from tests.bot.conversation_steps import report_neighbour_case
from tests.bot.staff_steps import Pushes, staff_chat
from tests.case_setup import case_row
from tests.chat import ChatDriver

TUESDAY_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # judge_wang's first hour: Tue 09:00
FIRST_SLOT = "11月24日 周二 09:00"


async def appointments(app) -> list[Appointment]:
    async with app.db.sessions() as session:
        return list(await session.scalars(select(Appointment).order_by(Appointment.id)))


async def book_by_words(chat: ChatDriver, village: str = "枫桥镇陈家村") -> None:
    """From saying 预约调解 to the slot list of the village's judge."""
    await chat.say("我想预约调解")
    assert "哪个村或社区" in chat.text, chat.text
    await chat.say(village)
    assert "驻村联系法官王秀英" in chat.text and "请选一个时间" in chat.text, chat.text


async def judge_and_booked_villager(
    app, how: str = "视频"
) -> tuple[Pushes, ChatDriver, ChatDriver]:
    """Judge 王秀英 in chat, and a villager who booked her first hour (`how`: 视频 / 当面)."""
    pushes = Pushes(app)
    judge = await staff_chat(app, "judge_wang")
    chat = ChatDriver(app.dialogue, "villager")
    await book_by_words(chat)
    await chat.tap(FIRST_SLOT)
    await chat.tap(how)
    return pushes, judge, chat


async def test_a_resident_books_the_village_judge_by_video(app) -> None:
    pushes = Pushes(app)
    judge = await staff_chat(app, "judge_wang")
    chat = ChatDriver(app.dialogue, "villager")
    await book_by_words(chat)
    assert chat.options()[:2] == [f"{FIRST_SLOT}（可视频）", "11月24日 周二 09:30（可视频）"]
    assert chat.options()[-2:] == ["更晚的时间", "返回"] and len(chat.options()) == 8
    await chat.tap(FIRST_SLOT)
    assert "当面调解（地点：枫桥人民法庭调解室）还是视频调解" in chat.text
    await chat.tap("视频")
    assert "预约成功：11月24日 09:00" in chat.text and "法官：王秀英" in chat.text
    link = re.search(r"https://meet\.jit\.si/jiefen-\S+", chat.text)
    assert link is not None and len(link.group(0)) > 40
    assert chat.options() == ["改期", "取消预约"]
    [told] = await pushes.to(judge)
    assert told.text.startswith("新预约：11月24日 09:00，视频，https://meet.jit.si/jiefen-")
    [appt] = await appointments(app)
    assert (appt.status, appt.mode, appt.video_link) == ("booked", "video", link.group(0))
    assert appt.village_code == "fengqiao.chenjia" and appt.case_id is None


async def test_later_dates_and_in_person_through_the_menu_button(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    await chat.say("你好")
    await chat.tap("预约调解")
    await chat.say("陈家村")  # two towns have a 陈家村: which one?
    assert "有几个地方叫这个名字" in chat.text
    await chat.tap("枫桥镇 陈家村")
    first = chat.options()[:6]
    await chat.tap("更晚的时间")
    later = chat.options()[:6]
    assert not set(first) & set(later) and "11月26日 周四 15:00" in later  # Thursday's hours
    await chat.tap("11月26日 周四 15:00")  # in person only: no question about video
    assert "预约成功：11月26日 15:00" in chat.text and "地点：枫桥镇桥亭村便民服务中心" in chat.text
    [appt] = await appointments(app)
    assert (appt.mode, appt.place) == ("in_person", "枫桥镇桥亭村便民服务中心")


async def test_a_resident_with_a_case_books_without_being_asked_the_village(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)  # 枫桥镇陈家村
    await chat.say("预约")
    assert "驻村联系法官王秀英" in chat.text
    await chat.tap(FIRST_SLOT)
    await chat.tap("当面")
    assert "预约成功" in chat.text and "地点：枫桥人民法庭调解室" in chat.text
    case = await case_row(app, number)
    assert case.events[-1].kind == "appointment_booked"
    assert case.events[-1].data["mediator"] == "judge_wang"


async def test_moving_and_cancelling_from_status_tell_the_judge(app) -> None:
    pushes, judge, chat = await judge_and_booked_villager(app)
    await pushes.to(judge)
    await chat.say("/status")
    assert "您的预约：" in chat.text and "11月24日 09:00 王秀英（视频）" in chat.text
    await chat.tap("改期")
    assert "原来的预约是 11月24日 09:00" in chat.text
    await chat.tap("11月24日 周二 10:00")
    await chat.tap("当面")
    assert "已改到 11月24日 10:00" in chat.text
    [moved] = await pushes.to(judge)
    assert "预约改期：原 11月24日 09:00，改为 11月24日 10:00，当面" in moved.text
    await chat.say("取消预约")  # the NLU's cancel_booking
    assert "确定取消 11月24日 10:00 见王秀英的预约吗" in chat.text
    await chat.tap("确定取消")
    assert "已取消 11月24日 10:00 的预约" in chat.text
    [cancelled] = await pushes.to(judge)
    assert cancelled.text.startswith("居民取消了 11月24日 10:00 的预约")
    statuses = [a.status for a in await appointments(app)]
    assert statuses == ["rescheduled", "cancelled"]
    await chat.say("/status")
    assert "您的预约" not in chat.text


async def test_two_residents_tapping_the_same_slot_at_once_get_it_once(app) -> None:
    chats = [ChatDriver(app.dialogue, f"villager-{i}") for i in range(3)]
    for chat in chats:
        await book_by_words(chat)
        await chat.tap(FIRST_SLOT)
    await asyncio.gather(*(chat.tap("视频") for chat in chats))
    won = [c for c in chats if "预约成功" in c.text]
    lost = [c for c in chats if "刚刚被别人约走了" in c.text]
    assert len(won) == 1 and len(lost) == 2
    for chat in lost:  # fresh slots, without the one just taken
        assert chat.options() and not any(FIRST_SLOT in o for o in chat.options())
        await chat.tap("11月24日")
    assert [a.starts_at for a in await appointments(app)].count(TUESDAY_9) == 1


async def test_resident_and_judge_from_booking_to_a_no_show(app, clock) -> None:
    """A scripted two-sided conversation: booking, both reminders with their buttons, the
    judge's hours, and the judge recording that nobody came."""
    pushes, judge, chat = await judge_and_booked_villager(app, "当面")
    [appt] = await appointments(app)
    await pushes.to(judge)

    await judge.say("接待时间")
    assert "每星期二 09:00-11:30，枫桥人民法庭调解室（可视频）" in judge.text
    assert "11月24日 09:00 当面，案件 -" in judge.text

    clock.set(TUESDAY_9 - timedelta(hours=24))
    async with app.db.sessions() as session, session.begin():
        await send_reminder(session, appt.id, "24h", at=clock.now())
    [reminder] = await pushes.to(chat)
    assert reminder.text.startswith("提醒：明天 11月24日 09:00 您约了王秀英（当面）")
    assert [o.label for o in reminder.options] == ["改期", "取消预约"]
    [staff_reminder] = await pushes.to(judge)
    assert [o.label for o in staff_reminder.options] == ["已到场", "未到场"]
    await judge.tap("未到场")
    assert "预约还没开始" in judge.text  # too early to say

    clock.set(TUESDAY_9 + timedelta(minutes=20))
    await judge.say("接待时间")
    await judge.tap("11月24日 09:00 的预约")
    await judge.tap("未到场")
    assert "已记录：11月24日 09:00 的预约居民未到场" in judge.text
    [missed] = await pushes.to(chat)
    assert "记为未到场" in missed.text and [o.label for o in missed.options] == ["重新预约"]
    async with app.db.sessions() as session, session.begin():
        await check_no_show(session, appt.id, at=clock.now() + timedelta(days=1, hours=1))
    assert [a.status for a in await appointments(app)] == ["no_show"]
    assert await pushes.to(chat) == []  # recorded already: the daily check adds nothing
    chat.last = [missed]
    await chat.tap("重新预约")
    assert "驻村联系法官王秀英" in chat.text


async def test_the_judge_closes_a_day_and_adds_hours(app) -> None:
    pushes, judge, chat = await judge_and_booked_villager(app)

    await judge.say("/hours")
    await judge.tap("某天不接待")
    assert judge.options()[0] == "11月24日 周二"  # the days ahead with hours
    await judge.tap("11月24日 周二")
    assert "已经有 1 个预约" in judge.text
    await judge.tap("确定关闭这一天")
    assert "11月24日 周二 已设为不接待；取消了 1 个预约" in judge.text
    told = [m for m in await pushes.to(chat) if "临时有事不能接待" in m.text]
    assert told and [o.label for o in told[0].options] == ["重新预约"]

    await judge.tap("返回接待时间")
    await judge.tap("加开时间")
    await judge.tap("11月21日 周六")
    await judge.tap("14:00-16:30")
    assert "11月21日 周六 14:00-16:30 已加开" in judge.text
    await judge.say("接待时间")
    assert (
        "· 11月24日 周二 不接待" in judge.text and "· 11月21日 周六 加开 14:00-16:30" in judge.text
    )

    await chat.tap("重新预约")
    assert chat.options()[0] == "11月21日 周六 14:00（可视频）"  # the extra hours first
    assert not any("11月24日" in o for o in chat.options())  # the closed day is gone


async def test_a_resident_cannot_use_the_staff_buttons(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    await chat.say("接待时间")
    assert "只对调解员开放" in chat.text
    await chat._send(IncomingMessage("console", "villager", payload="appt:no_show:1"), "> [未到场]")
    assert "只对调解员开放" in chat.text
    await chat.say("改期")
    assert "您现在没有预约" in chat.text and chat.options() == ["预约调解"]


async def test_in_english_the_slots_and_confirmation_are_english(app) -> None:
    pushes = Pushes(app)
    judge = await staff_chat(app, "judge_wang")
    chat = ChatDriver(app.dialogue, "visitor")
    await chat.say("/lang")
    await chat.tap("English")
    await chat.say("/book")
    assert "Which village or community" in chat.text
    await chat.say("Chenjia Village, Fengqiao")
    assert "your village's liaison judge, 王秀英" in chat.text
    assert chat.options()[0] == "Tue 24 Nov, 09:00 (video possible)"
    await chat.tap("Tue 24 Nov, 09:00")
    await chat.tap("In person")
    assert "Booked: 24 Nov, 09:00." in chat.text and "Place: 枫桥人民法庭调解室" in chat.text
    assert chat.options() == ["Reschedule", "Cancel it"]
    [told] = await pushes.to(judge)  # the judge reads Chinese
    assert told.text == "新预约：11月24日 09:00，当面，枫桥人民法庭调解室。案件：-。"
