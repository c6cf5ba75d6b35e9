"""After-care through the chat: the resident answers the survey and the agreement follow-up by
tapping the pushed buttons, in their language, whatever they were doing; staff hear of a low
score or a broken agreement on their own chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.models import Case
from backend.models_scheduling import Survey
from scheduler.service import SchedulerService
from tests.aftercare_steps import DueJobs, end_case, status_of
from tests.bot.conversation_steps import report_neighbour_case
from tests.bot.staff_steps import Pushes, staff_chat
from tests.chat import ChatDriver
from tests.scheduler.support import advance, running


async def _survey(app, number: str) -> Survey:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        survey = await session.scalar(select(Survey).filter_by(case_id=case.id))
        assert survey is not None
        return survey


async def _ended_case(app, clock, chat: ChatDriver, outcome: str = "failed") -> tuple[str, DueJobs]:
    """A report filed in chat, ended by its mediator, and the day after."""
    jobs = DueJobs(app, clock)
    number = await report_neighbour_case(chat)
    await end_case(app, number, outcome, "对方拒绝赔偿" if outcome == "failed" else "赔偿300元")
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    return number, jobs


async def test_the_resident_answers_the_survey_one_tap_at_a_time(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    inbox = await pushes.to(resident)
    survey_push = inbox[-1]
    assert number in survey_push.text and "满意" in survey_push.text
    assert resident.options() == ["非常满意", "满意", "一般", "不满意", "非常不满意"]

    assert "公正" in await resident.tap("满意")
    assert "及时" in await resident.tap("基本公正")
    assert "意见或建议" in await resident.tap("还可以")
    reply = await resident.say("希望下次能快一点联系我")
    assert "谢谢您的评价" in reply
    assert "还有什么可以帮您" in reply  # back to the menu

    survey = await _survey(app, number)
    assert (survey.status, survey.overall, survey.fair, survey.fast) == (
        "answered",
        4,
        "partly",
        "partly",
    )
    assert survey.answers["comment"] == "希望下次能快一点联系我"
    assert await status_of(app, number) == "closed"


async def test_the_comment_can_be_skipped_and_an_empty_one_is_asked_again(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    await pushes.to(resident)
    await resident.tap("非常满意")
    await resident.tap("公正")
    await resident.tap("及时")
    assert "请直接输入您的意见" in await resident.say("👍")
    assert "谢谢您的评价" in await resident.tap("跳过")
    survey = await _survey(app, number)
    assert survey.status == "answered" and survey.answers["comment"] is None


async def test_a_tap_after_answering_is_answered_politely_and_changes_nothing(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    push = (await pushes.to(resident))[-1]
    await resident.tap("非常满意")
    await resident.tap("公正")
    await resident.tap("及时")
    await resident.tap("跳过")
    resident.last = [push]  # the old push is still on the screen
    reply = await resident.tap("非常不满意")
    assert "已经完成了案件" in reply and number in reply
    assert (await _survey(app, number)).overall == 5


async def test_a_survey_tap_in_the_middle_of_a_report_comes_back_to_it(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    push = (await pushes.to(resident))[-1]

    await resident.say("/new")
    assert "发生了什么事" in resident.text, resident.text
    resident.last = [push]
    await resident.tap("一般")
    await resident.tap("公正")
    await resident.tap("及时")
    reply = await resident.tap("跳过")
    assert "谢谢您的评价" in reply
    assert "发生了什么事" in reply  # the report's question again
    assert (await _survey(app, number)).overall == 3


async def test_an_english_speaking_resident_is_asked_in_english(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-en", channel="webchat")
    jobs = DueJobs(app, clock)
    number = await report_neighbour_case(resident)
    await resident.say("/lang")
    await resident.tap("English")  # the push is written in the language of the day it goes
    await end_case(app, number, "failed", "对方拒绝赔偿")
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    push = (await pushes.to(resident))[-1]
    assert number in push.text and "how satisfied" in push.text
    assert "Was the mediator fair?" in await resident.tap("dissatisfied")


async def test_a_low_score_reaches_the_supervisors_chat(app, clock) -> None:
    pushes = Pushes(app)
    lou = await staff_chat(app, "s_lou_01")  # the county supervisor
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    await pushes.to(resident)
    await resident.tap("非常不满意")
    [alert] = await pushes.to(lou)
    assert "满意度预警" in alert.text and number in alert.text
    assert "周玲芝" in alert.text and "1 分" in alert.text
    assert alert.options == ()  # a county supervisor cannot open a village committee's card


async def test_agreement_not_kept_reopens_the_case_for_the_mediator(app, clock) -> None:
    pushes = Pushes(app)
    zhou = await staff_chat(app, "m_zhou_03")
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, jobs = await _ended_case(app, clock, resident, outcome="agreement")
    await pushes.to(zhou)  # the offer
    await pushes.to(resident)  # the outcome and the survey
    clock.advance(timedelta(days=14))
    await jobs.run_due()
    [follow_up] = await pushes.to(resident)
    assert "是否已经按协议履行" in follow_up.text
    assert resident.options() == ["已经履行", "只履行了一部分", "没有履行"]

    reply = await resident.tap("没有履行")
    assert "已重新打开" in reply and "周玲芝" in reply
    assert await status_of(app, number) == "in_mediation"
    [told] = await pushes.to(zhou)
    assert number in told.text and "没有履行" in told.text
    resident.last = [follow_up]
    assert "已经回答过" in await resident.tap("已经履行")  # the old push: nothing changes
    assert await status_of(app, number) == "in_mediation"


async def test_agreement_kept_is_thanked(app, clock) -> None:
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, jobs = await _ended_case(app, clock, resident, outcome="agreement")
    clock.advance(timedelta(days=14))
    await jobs.run_due()
    follow_up = (await pushes.to(resident))[-1]  # after the outcome, the survey, its reminder
    assert "是否已经按协议履行" in follow_up.text
    assert "协议得到履行" in await resident.tap("已经履行")
    resident.last = [follow_up]
    assert "已经回答过" in await resident.tap("没有履行")  # a second tap on the old push
    assert await status_of(app, number) == "closed"  # and the survey expired on day 8


async def test_typed_words_during_the_comment_step_are_the_comment(app, clock) -> None:
    """Even words that sound like a new matter: the prompt asked for a comment."""
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number, _ = await _ended_case(app, clock, resident)
    await pushes.to(resident)
    for label in ("满意", "公正", "及时"):
        await resident.tap(label)
    assert "谢谢您的评价" in await resident.say("楼上邻居漏水的事也想反映一下")
    assert (await _survey(app, number)).answers["comment"] == "楼上邻居漏水的事也想反映一下"


async def test_through_the_scheduler_across_a_restart(app, settings, clock) -> None:
    """The real scheduler (scheduler/service.py) on the test clock: the survey a day after the
    outcome, the one reminder after a restart, the expiry that closes the case; each once."""
    pushes = Pushes(app)
    resident = ChatDriver(app.dialogue, "web-resident", channel="webchat")
    number = await report_neighbour_case(resident)
    await end_case(app, number, "failed", "对方拒绝赔偿")

    def scheduler() -> SchedulerService:
        return SchedulerService(
            app.db, settings.database_url, clock, clock.sleep, timezone="Asia/Shanghai"
        )

    first = scheduler()
    async with running(first, clock):
        await advance(first, clock, timedelta(hours=23))
        assert "survey" not in await pushes.pending_purposes()
        await advance(first, clock, timedelta(hours=1))
        assert (await pushes.pending_purposes()).count("survey") == 1
    clock.advance(timedelta(days=3, hours=1))  # down over the reminder's time, back an hour late
    second = scheduler()
    async with running(second, clock):
        assert (await pushes.pending_purposes()).count("survey") == 2  # the reminder
        await advance(second, clock, timedelta(days=4))
        assert await status_of(app, number) == "closed"
        await advance(second, clock, timedelta(days=10))
    assert (await pushes.pending_purposes()).count("survey") == 2
    assert (await _survey(app, number)).status == "expired"
