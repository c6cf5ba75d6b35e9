"""The mediator side end to end: a resident on one channel, mediators on another.

report -> routed -> pushed -> declined -> re-assigned -> accepted -> resolved, the 48-hour
and 30-day deadlines on a controllable clock, and a mediator from another town shut out.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from backend.deadlines import sweep_deadlines
from backend.models import Case, CaseEvent
from tests.bot.conversation_steps import pick_category, report_neighbour_case
from tests.bot.staff_steps import Pushes, staff_chat
from tests.chat import ChatDriver


async def file_neighbour_case(chat: ChatDriver) -> str:
    return await report_neighbour_case(
        chat, "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着，说了好几次也不听"
    )


async def report_for_resident(
    chat: ChatDriver, command: str, name: str, account: str, other: str, phone: str
) -> str:
    """A staff member's report for a resident (代报 / /offline); returns the case number."""
    await chat.say(command)
    await chat.tap("居民已同意")
    await chat.say(name)
    await chat.say(account)
    await pick_category(chat, "neighbour")
    await chat.say("枫桥镇新村")
    await chat.say(other)
    await chat.tap("最近几天")
    await chat.tap("停止侵害")
    await chat.tap("没有")
    await chat.say(phone)
    assert name in chat.text  # the summary names the resident
    await chat.tap("确认提交")
    found = re.search(r"\d{4}-\d{6}", chat.text)
    assert found, chat.text
    return found.group(0)


async def _case(app, number: str) -> Case:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        return case


async def _events(app, number: str) -> list[str]:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        rows = await session.scalars(
            select(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id)
        )
        return [e.kind if e.kind != "status_changed" else f"->{e.to_status}" for e in rows]


async def test_declined_then_accepted_then_resolved_across_two_channels(app) -> None:
    pushes = Pushes(app)
    zhou = await staff_chat(app, "m_zhou_03")  # neighbour disputes, 陈家村 committee
    luo = await staff_chat(app, "m_luo_03")  # same committee
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)

    offer = await pushes.to(zhou)
    assert number in offer[0].text and "138" not in offer[0].text  # minimised: no phone
    await zhou.tap("婉拒")
    assert "为什么" in zhou.text
    await zhou.tap("手上案件太多")
    assert "骆荣生" in zhou.text  # handed to the other mediator of the committee

    offer = await pushes.to(luo)
    assert number in offer[0].text
    await luo.tap("接受")
    assert "13812345678" in luo.text  # the phone once the case is theirs
    told = await pushes.to(resident)
    assert "骆荣生" in told[0].text and number in told[0].text

    await luo.tap("记录调解结果")
    await luo.tap("达成协议")
    await luo.say("王某保证晚上十点后不施工，赔偿300元")
    assert "达成协议" in luo.text
    told = await pushes.to(resident)
    assert "赔偿300元" in told[0].text

    case = await _case(app, number)
    assert (case.status, case.outcome) == ("resolved", "agreement")
    assert await _events(app, number) == [
        "created",
        "->routed",
        "offered",
        "declined",
        "offered",
        "->accepted",
        "personal_data_read",
        "->in_mediation",
        "->resolved",
    ]


async def test_no_answer_in_48_hours_reassigns_then_goes_up_a_tier(app, clock) -> None:
    pushes = Pushes(app)
    zhou = await staff_chat(app, "m_zhou_03")
    luo = await staff_chat(app, "m_luo_03")
    town_admin = await staff_chat(app, "m_zhao_02")  # 枫桥镇 centre administrator
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    assert number in (await pushes.to(zhou))[0].text

    clock.advance(timedelta(hours=47))
    assert (await sweep_deadlines(app.db, clock)).offers_expired == 0
    clock.advance(timedelta(hours=2))
    assert (await sweep_deadlines(app.db, clock)).offers_expired == 1
    assert number in (await pushes.to(luo))[0].text

    clock.advance(timedelta(hours=49))
    await sweep_deadlines(app.db, clock)  # nobody left in the village: up to the town
    case = await _case(app, number)
    assert case.status == "escalated" and case.tier == "town"
    await pushes.to(resident)
    assert "枫桥镇" in resident.text
    events = await _events(app, number)
    assert events.count("response_deadline_missed") == 2 and "->escalated" in events

    # the town centre's mediator gets the offer; the administrator can see the case too
    await town_admin.say("/cases")
    assert number in town_admin.text


async def test_mediation_over_30_days_goes_up_and_the_supervisor_is_told(app, clock) -> None:
    pushes = Pushes(app)
    zhou = await staff_chat(app, "m_zhou_03")
    supervisor = await staff_chat(app, "s_lou_01")  # county centre supervisor
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await pushes.to(zhou)
    await zhou.tap("接受")

    clock.advance(timedelta(days=29))
    assert (await sweep_deadlines(app.db, clock)).mediations_escalated == 0
    clock.advance(timedelta(days=2))
    assert (await sweep_deadlines(app.db, clock)).mediations_escalated == 1
    case = await _case(app, number)
    assert case.status == "escalated" and case.tier == "town"
    told = await pushes.to(supervisor)
    assert told and number in told[0].text and "枫桥镇" in told[0].text


async def test_a_mediator_from_another_town_cannot_open_the_case(app) -> None:
    pushes = Pushes(app)
    await staff_chat(app, "m_zhou_03")
    stranger = await staff_chat(app, "m_lou_01")  # administrator of 暨阳街道 centre
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await pushes.deliver()

    for attempt in (f"/case {number}", f"/note {number} 看看", f"/contact {number} 你好"):
        await stranger.say(attempt)
        assert "找不到您能查看的案件" in stranger.text, attempt
    await stranger.say("/cases")
    assert number not in stranger.text
    assert "personal_data_read" not in await _events(app, number)


async def test_a_resident_cannot_use_staff_commands(app) -> None:
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await resident.say(f"/case {number}")
    assert "只对调解员开放" in resident.text
    await resident.say("注册 ABCD-EFGH")
    assert "邀请码不对" in resident.text


async def test_a_threat_reaches_the_duty_staff_with_the_same_message(app) -> None:
    pushes = Pushes(app)
    duty = await staff_chat(app, "m_si_03")  # 枫桥镇 centre, on duty
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    await resident.say("枫桥镇陈家村的邻居说今晚要拿刀砍死我全家 电话13812345678")
    assert "110" in resident.text  # the emergency advice is in the same reply
    alert = await pushes.to(duty)
    assert alert and "风险预警" in alert[0].text
    assert "13812345678" not in alert[0].text  # personal data masked in the alert


async def test_a_threat_said_again_the_same_day_is_answered_and_not_pushed_twice(app) -> None:
    pushes = Pushes(app)
    duty = await staff_chat(app, "m_si_03")
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    threat = "枫桥镇陈家村的邻居说今晚要拿刀砍死我全家"
    await resident.say(threat)
    assert len(await pushes.to(duty)) == 1
    await resident.say("/cancel")
    await resident.tap("是的，取消")
    await resident.say(threat + "，他已经在门口了")
    assert "110" in resident.text  # answered again with the emergency advice
    assert await pushes.to(duty) == []  # the duty staff already know today


async def test_a_grid_worker_reports_for_a_resident_without_a_phone(app) -> None:
    pushes = Pushes(app)
    grid = await staff_chat(app, "g_jin_01")  # 新村 grid worker
    mediator = await staff_chat(app, "m_jiang_03")  # 新村 committee, neighbour disputes
    number = await report_for_resident(
        grid,
        "代报",
        "张阿婆",
        "邻居家的树根把张阿婆家的围墙顶裂了，说了好几次不处理",
        "隔壁李家",
        "13955556666",
    )
    assert "已为张阿婆登记案件" in grid.text
    case = await _case(app, number)
    assert (case.reported_by, case.status) == ("proxy", "routed")
    assert case.reported_by_mediator_id is not None
    offer = (await pushes.to(mediator))[0].text
    assert number in offer and "申请人：张阿婆" in offer and "13955556666" not in offer


async def test_a_mediator_registers_an_offline_case_as_their_own(app) -> None:
    mediator = await staff_chat(app, "m_jiang_03")
    number = await report_for_resident(
        mediator,
        "/offline",
        "王大伯",
        "王大伯来调委会说隔壁养猪臭得受不了，猪粪水流到他家菜地",
        "隔壁养猪户",
        "13955557777",
    )
    case = await _case(app, number)
    assert (case.reported_by, case.status) == ("offline", "accepted")
    await mediator.say(f"/case {number}")
    assert "13955557777" in mediator.text and "线下登记" in mediator.text
