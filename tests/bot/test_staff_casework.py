"""Working a case from a mediator's chat while the resident is on another channel: notes,
messages relayed both ways (the mediator's number stays private), each outcome, referral to
the tribunal and judicial confirmation."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.models import CaseMessage
from bot.i18n import Texts
from jiefen.settings import PROJECT_ROOT
from tests.bot.staff_steps import Pushes, staff_chat
from tests.bot.test_staff_flow import _case, _events, file_neighbour_case
from tests.chat import ChatDriver

ZHOU_PHONE = "13900000064"  # m_zhou_03's own number, in config/organizations.yaml


async def _taken_case(app, pushes: Pushes) -> tuple[ChatDriver, ChatDriver, str]:
    """A neighbour case filed on the web chat and accepted by 周玲芝 on Telegram."""
    zhou = await staff_chat(app, "m_zhou_03")
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await file_neighbour_case(resident)
    await pushes.to(zhou)
    await zhou.tap("接受")
    await pushes.to(resident)  # "周玲芝 will mediate"
    return zhou, resident, number


async def test_notes_stay_internal_and_messages_are_relayed_both_ways(app) -> None:
    pushes = Pushes(app)
    zhou, resident, number = await _taken_case(app, pushes)

    await zhou.tap("添加备注")
    assert "只有工作人员能看到" in zhou.text
    await zhou.say("双方都在家，周六上门")
    assert "备注已保存" in zhou.text
    await zhou.say(f"/contact {number} 周六上午九点到村委会调解，请带上照片")
    assert "已转告申请人" in zhou.text

    [message] = await pushes.to(resident)
    assert "周玲芝" in message.text and "周六上午九点到村委会调解" in message.text
    assert ZHOU_PHONE not in message.text and "双方都在家" not in message.text
    await resident.tap("回复调解员")
    await resident.say("好的，我周六准时到")
    [reply] = await pushes.to(zhou)
    assert number in reply.text and "周六准时到" in reply.text

    await zhou.say(f"/case {number}")
    assert "备注：双方都在家，周六上门" in zhou.text  # the note on the card, for staff only
    assert "给申请人留言：周六上午九点到村委会调解" in zhou.text
    assert "申请人补充：好的，我周六准时到" in zhou.text and "申请人补充了情况" in zhou.text
    assert "居民提交" in zhou.text and "更早的" not in zhou.text  # the whole timeline
    async with app.db.sessions() as session:
        case = await _case(app, number)
        kinds = list(
            await session.scalars(
                select(CaseMessage.kind).filter_by(case_id=case.id).order_by(CaseMessage.id)
            )
        )
    assert kinds == ["note", "to_resident", "to_mediator"]
    events = await _events(app, number)
    assert {"note_added", "resident_contacted", "resident_message"} <= set(events)


async def test_failed_mediation_goes_to_the_tribunal_and_its_liaison_judge(app) -> None:
    pushes = Pushes(app)
    zhou, resident, number = await _taken_case(app, pushes)
    judge = await staff_chat(app, "judge_wang")  # liaison judge of 陈家村

    await zhou.tap("记录调解结果")
    await zhou.tap("调解不成")
    await zhou.say("对方坚持不肯停工，也不愿意赔偿")
    assert "调解不成" in zhou.text
    case = await _case(app, number)
    assert (case.status, case.outcome_text) == ("failed", "对方坚持不肯停工，也不愿意赔偿")
    assert "调解没有成功" in (await pushes.to(resident))[0].text

    await zhou.say(f"/case {number}")
    await zhou.tap("转法庭诉前调解")
    await zhou.tap("确定转法庭")
    assert "枫桥人民法庭" in zhou.text
    assert "枫桥人民法庭" in (await pushes.to(resident))[0].text

    offer = await pushes.to(judge)
    assert number in offer[0].text and "13812345678" not in offer[0].text
    await judge.tap("接受")
    assert "13812345678" in judge.text
    told = await pushes.to(resident)
    assert "王秀英" in told[0].text
    await zhou.say(f"/case {number}")
    assert "找不到您能查看的案件" in zhou.text  # the case is the tribunal's now


async def test_an_agreement_can_be_sent_for_judicial_confirmation(app) -> None:
    pushes = Pushes(app)
    zhou, _resident, number = await _taken_case(app, pushes)
    await zhou.say(f"/confirm {number}")
    assert "还没有记录达成协议" in zhou.text  # refused: no agreement yet
    assert "judicial_confirmation_requested" not in await _events(app, number)

    await zhou.say(f"/outcome {number}")
    await zhou.tap("达成协议")
    await zhou.say("王某保证晚上十点后不施工")
    await zhou.say(f"/case {number}")
    await zhou.tap("申请司法确认")
    assert "枫桥人民法庭" in zhou.text and "司法确认" in zhou.text
    assert (await _events(app, number))[-1] == "judicial_confirmation_requested"


async def test_a_withdrawal_recorded_by_the_mediator(app) -> None:
    pushes = Pushes(app)
    zhou, resident, number = await _taken_case(app, pushes)
    await zhou.say(f"/outcome {number}")
    await zhou.tap("申请人撤回")
    await zhou.say("双方自己和解了")
    case = await _case(app, number)
    assert (case.status, case.outcome, case.outcome_text) == (
        "withdrawn",
        "withdrawn",
        "双方自己和解了",
    )
    assert "已撤回" in (await pushes.to(resident))[0].text
    await zhou.say("/cases")
    assert number not in zhou.text  # no longer open


# Modules of the mediator side whose case events appear on a staff member's case card.
EVENT_MODULES = ("assignments", "staff_desk", "resident_cases", "resident_choice", "cases")


def test_every_event_on_a_case_card_has_words_in_both_languages() -> None:
    kinds: set[str] = set()
    for module in EVENT_MODULES:
        source = (PROJECT_ROOT / "backend" / f"{module}.py").read_text(encoding="utf-8")
        kinds |= set(re.findall(r'record_event\(\s*[^"]*?"([a-z_]+)"', source))
    assert {"offered", "declined", "resident_message", "personal_data_read"} <= kinds
    texts = Texts(PROJECT_ROOT / "config" / "locales")
    for locale in ("zh", "en"):
        missing = {k for k in kinds if f"staff.event.{k}" not in texts.keys(locale)}
        assert not missing, (locale, missing)
    for kind in ("note", "to_resident", "to_mediator"):  # CaseMessage kinds on the card
        assert f"staff.card.{kind}" in texts.keys("zh") & texts.keys("en")


async def test_a_long_timeline_shows_the_newest_entries_and_says_how_many_are_left_out(
    app,
) -> None:
    pushes = Pushes(app)
    zhou, _resident, number = await _taken_case(app, pushes)
    for i in range(15):
        await zhou.say(f"/note {number} 第{i}次电话回访")
    await zhou.say(f"/case {number}")
    total = len(await _events(app, number))  # this very read included
    assert f"更早的 {total - 15} 条记录略" in zhou.text
    assert "居民提交" not in zhou.text and "查看了个人信息" in zhou.text
