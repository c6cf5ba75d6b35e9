"""Withdrawing a case and adding a message or photo, through the real dialogue and case store."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from backend.models import Case, CaseMessage, Evidence
from bot.channels.files import EvidenceStore
from tests.bot.conversation_steps import report_neighbour_case
from tests.case_setup import accept, case_row, link_chat, pushes
from tests.chat import ChatDriver

MENU = ["我要反映纠纷", "查询进度", "预约调解", "找工作人员", "帮助"]


def _photo(tmp_path: Path):
    data = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(data, format="PNG")
    return EvidenceStore(tmp_path / "evidence").store(data.getvalue(), name="crack.png")


async def _link_case_mediator(app, number: str, user_id: str = "mediator-chat") -> str:
    mediator = (await case_row(app, number)).mediator
    assert mediator is not None
    await link_chat(app, mediator.code, user_id)
    return mediator.name


async def test_withdrawing_from_status_tells_the_mediator(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await _link_case_mediator(app, number)
    await chat.say("/status")
    assert chat.options() == ["补充情况", "撤回", "返回菜单"]
    await chat.tap("撤回")
    assert f"确定要撤回案件 {number}（邻里纠纷）吗" in chat.text
    assert chat.options() == ["已和对方谈好了", "不想调解了", "其他原因", "不撤回"]
    await chat.tap("已和对方谈好了")
    assert f"案件 {number} 已撤回" in chat.text and "还需要做什么" in chat.text
    assert chat.options() == MENU

    case = await case_row(app, number)
    assert (case.status, case.outcome) == ("withdrawn", "withdrawn")
    assert case.events[-1].to_status == "withdrawn" and case.events[-1].data["reason"] == "settled"
    [(row, push)] = await pushes(app, "withdrawn")
    assert row.recipient == "mediator-chat"
    assert push.text.startswith(f"案件 {number}（邻里纠纷）已被当事人撤回")

    await chat.say("/status")
    assert "您已撤回" in chat.text and "撤回" not in chat.options()
    await chat.say("撤回")
    assert "没有正在办理中的案件" in chat.text


async def test_a_typed_withdrawal_can_be_called_off_with_a_number(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await chat.say("撤销")
    assert f"确定要撤回案件 {number}" in chat.text
    await chat.say("好像不对")  # neither a button nor its number
    assert "请点选下面的按钮" in chat.text and "确定要撤回" in chat.text
    await chat.say("4")  # the fourth button: do not withdraw
    assert "没有撤回" in chat.text
    assert (await case_row(app, number)).status == "routed"
    assert await pushes(app, "withdrawn") == []


async def test_a_message_and_a_photo_reach_the_mediator(app, tmp_path: Path) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    mediator = await accept(app, number)
    await _link_case_mediator(app, number)
    await chat.say("/status")
    assert f"的调解员{mediator}已接案" in chat.text and "调解期限到 12月20日 10:00" in chat.text
    await chat.tap("补充情况")
    assert f"请发来要补充的情况（案件 {number}）" in chat.text and chat.options() == ["返回"]
    await chat.say("对方答应下周来修，他电话 139 1234 5678")
    assert f"已转给调解员{mediator}" in chat.text and chat.options() == ["完成"]
    photo_file = _photo(tmp_path)
    await chat.say("", attachments=(photo_file,))
    assert f"已转给调解员{mediator}" in chat.text
    await chat.tap("完成")
    assert "还需要做什么" in chat.text and chat.options() == MENU

    [(first, message), (_, photo)] = await pushes(app, "resident_message")
    assert first.recipient == "mediator-chat"
    assert "对方答应下周来修" in message.text and "139****5678" in message.text
    assert "1234 5678" not in message.text
    assert [o.label for o in message.options] == ["查看案件"]
    assert "证据材料" in photo.text
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        [evidence] = (await session.scalars(select(Evidence).filter_by(case_id=case.id))).all()
        messages = (await session.scalars(select(CaseMessage).order_by(CaseMessage.id))).all()
    assert evidence.kind == "photo" and evidence.mime_type == "image/png"
    assert evidence.storage_path == photo_file.path and evidence.sha256 == photo_file.sha256
    assert [(m.kind, m.author_kind, m.evidence_id) for m in messages] == [
        ("to_mediator", "resident", None),
        ("to_mediator", "resident", evidence.id),
    ]


async def test_a_message_before_anyone_takes_the_case_is_kept_and_said_so(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await chat.say(f"补充 {number}")
    await chat.say("。。")
    assert "没有收到文字内容" in chat.text
    await chat.say("昨晚又吵到两点")
    assert "已保存在案件里，调解员接案后就能看到" in chat.text
    assert await pushes(app, "resident_message") == []


async def test_someone_elses_case_answers_like_one_that_does_not_exist(app) -> None:
    owner = ChatDriver(app.dialogue, "owner")
    number = await report_neighbour_case(owner)
    stranger = ChatDriver(app.dialogue, "stranger")
    missing = "2026-999999"
    for words in ("撤回", "补充", "/withdraw", "/add"):
        theirs = await stranger.say(f"{words} {number}")
        nowhere = await stranger.say(f"{words} {missing}")
        assert "没有找到编号为" in theirs
        assert theirs.replace(number, "N") == nowhere.replace(missing, "N")
    await stranger.say("/status")
    assert number not in stranger.text and "还没有登记" in stranger.text
    assert (await case_row(app, number)).status == "routed"
    async with app.db.sessions() as session:
        assert (await session.scalars(select(CaseMessage))).all() == []


async def test_with_several_open_cases_the_resident_picks_one(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    first = await report_neighbour_case(chat)
    second = await report_neighbour_case(chat, place="枫桥镇新村")
    other = await report_neighbour_case(ChatDriver(app.dialogue, "neighbour"))
    await chat.say("/status")
    assert chat.text.index(second) < chat.text.index(first)  # newest first
    await chat.tap("撤回")
    assert "要撤回哪一件" in chat.text
    assert chat.options() == [f"{second} 邻里纠纷", f"{first} 邻里纠纷", "返回"]
    await chat.say(other)  # typed: someone else's number
    assert f"没有找到编号为 {other} 的案件" in chat.text and "要撤回哪一件" in chat.text
    await chat.say(first)
    assert f"确定要撤回案件 {first}" in chat.text
    await chat.tap("不想调解了")
    assert (await case_row(app, first)).status == "withdrawn"
    assert (await case_row(app, second)).status == "routed"
    assert (await case_row(app, other)).status == "routed"


async def test_a_report_under_way_waits_while_the_resident_adds_to_a_case(app) -> None:
    chat = ChatDriver(app.dialogue, "villager")
    number = await report_neighbour_case(chat)
    await chat.say("楼上邻居家漏水，把我家天花板泡坏了")
    if "对吗" in chat.text:
        await chat.tap("对，就是这个")
    assert "哪个镇" in chat.text
    await chat.say("补充")
    assert f"案件 {number}" in chat.text
    await chat.say("对方今天又来吵了一次")
    await chat.tap("完成")
    assert "哪个镇" in chat.text  # the report is asked again where it stopped
    await chat.say("枫桥镇陈家村")
    assert "对方是谁" in chat.text
