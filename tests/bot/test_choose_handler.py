"""A resident picks who handles their case from a short list, while nobody has accepted it."""

from __future__ import annotations

from sqlalchemy import select

from backend.models import Assignment, Case, Mediator
from bot.messages import IncomingMessage
from tests.bot.staff_steps import Pushes, staff_chat
from tests.bot.test_staff_flow import file_neighbour_case
from tests.chat import ChatDriver


async def _offers(app, number: str) -> list[tuple[str, str, bool]]:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        rows = await session.scalars(
            select(Assignment).filter_by(case_id=case.id).order_by(Assignment.id)
        )
        out = []
        for a in rows:
            who = await session.get(Mediator, a.mediator_id) if a.mediator_id else None
            out.append((who.code if who else "-", a.status, a.chosen_by_resident))
        return out


async def test_a_resident_picks_a_named_mediator_instead(app) -> None:
    pushes = Pushes(app)
    luo = await staff_chat(app, "m_luo_03")
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    assert "我想自己选调解员" in resident.options()
    await resident.tap("我想自己选调解员")
    choices = resident.options()
    assert "调解员 骆荣生" in choices and any("枫桥镇人民调解中心" in c for c in choices)
    assert any("驻村联系法官" in c for c in choices)
    await resident.tap("调解员 骆荣生")
    assert "已改由 骆荣生 办理" in resident.text
    assert await _offers(app, number) == [
        ("m_zhou_03", "ended", False),
        ("m_luo_03", "offered", True),
    ]
    push = await pushes.to(luo)
    assert push and number in push[0].text


async def test_a_resident_picks_the_town_centre(app) -> None:
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await resident.say("我想自己选调解员")
    await resident.tap("枫桥镇人民调解中心")
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case.tier == "town" and case.status == "routed"


async def test_no_change_once_a_mediator_has_accepted(app) -> None:
    pushes = Pushes(app)
    zhou = await staff_chat(app, "m_zhou_03")
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await pushes.to(zhou)
    await zhou.tap("接受")
    await resident.say(f"换调解员 {number}")
    assert "已经有调解员接手了" in resident.text


async def test_someone_elses_case_cannot_be_redirected(app) -> None:
    owner = ChatDriver(app.dialogue, "web-owner", channel="webchat")
    number = await file_neighbour_case(owner)
    stranger = ChatDriver(app.dialogue, "web-stranger", channel="webchat")
    await stranger.say("你好")
    forged = IncomingMessage("webchat", "web-stranger", payload=f"choose:{number}:m_luo_03")
    reply = await stranger._send(forged, "> forged button")
    assert "没有找到您的案件" in reply
    assert await _offers(app, number) == [("m_zhou_03", "offered", False)]
