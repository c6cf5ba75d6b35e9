"""The facts the routing rules need, collected by the intake and acted on: a group of workers,
a resident who wants a court, a complaint against a government body, a dispute across towns."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.models import Case, Organization
from tests.bot.conversation_steps import pick_category, start_report
from tests.chat import ChatDriver


async def _report(
    app,
    user: str,
    account: str,
    category: str,
    place: str,
    other_party: str,
    outcome: str = "请调解员帮忙协商",
) -> tuple[Case, str]:
    chat = ChatDriver(app.dialogue, user)
    await start_report(chat, account)
    await pick_category(chat, category)
    await chat.say(place)
    await chat.say(other_party)
    await chat.say("2025年10月")
    if "多少钱" in chat.text:
        await chat.tap("不涉及钱")
    await chat.tap(outcome)
    await chat.tap("没有，跳过")
    await chat.say("13900002222")
    await chat.tap("确认提交")
    found = re.search(r"\d{4}-\d{6}", chat.text)
    assert found, chat.text
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=found.group(0)))
        assert case is not None
        org = await session.get(Organization, case.organization_id)
    assert org is not None
    return case, org.code


async def test_thirty_workers_go_to_the_labour_committee(app) -> None:
    case, org = await _report(
        app,
        "workers",
        "我们30个工人在厂里干了一年，老板拖欠了三个月工资，去找他就躲着不见",
        "labour",
        "枫桥镇陈家村",
        "厂里老板",
    )
    assert (case.group_size, case.scope, case.wish) == (30, "village", "mediation")
    assert (case.routing_rule, org, case.tier) == ("group_labour", "labour_committee", "county")


async def test_a_resident_who_wants_a_court_goes_to_the_tribunal_of_the_town(app) -> None:
    case, org = await _report(
        app,
        "to-court",
        "去年借给同村的表哥6万块钱打了欠条，说好年底还，现在人躲着不见",
        "debt_contract",
        "牌头镇斗岩村",
        "表哥",
        outcome="到法院",
    )
    assert case.wish == "court" and case.desired_outcome == "到法院调解 / 起诉"
    assert (case.routing_rule, org) == ("wants_court", "fengqiao_tribunal")


async def test_a_complaint_against_the_town_government(app) -> None:
    case, org = await _report(
        app,
        "town-hall",
        "镇里修路把我家门口的排水沟堵死了，一下雨院子就淹，找了好几次都没人管",
        "administrative",
        "店口镇侯家村",
        "店口镇政府",
    )
    assert (case.routing_rule, org) == ("against_government", "admin_centre")


async def test_a_dispute_across_towns_goes_to_the_county_centre(app) -> None:
    case, org = await _report(
        app,
        "across",
        "店口镇那边的人跑到我们村里的山上乱砍树，说了也不听",
        "neighbour",
        "枫桥镇枫源村",
        "外村的人",
    )
    assert (case.scope, case.routing_rule, org) == ("cross_town", "cross_town", "county_centre")
