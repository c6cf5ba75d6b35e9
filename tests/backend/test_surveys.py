"""The satisfaction survey on the test clock: sent once a day after the outcome, one reminder
and no more, answers stored on the case (the comment encrypted), a low score tells the
supervisor, and the case closes when the survey is done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from backend.aftercare import outcome_recorded
from backend.models import Case, Mediator
from backend.models_scheduling import Survey
from backend.staff_desk import StaffDesk
from tests.aftercare_steps import DueJobs, end_case, event_kinds, file_case, status_of
from tests.case_setup import link_chat, pushes


async def _answer(app, number: str, question: str, value: str | None, user: str = "owner"):
    async with app.store.dialogue_session("console", user) as unit:
        return await unit.aftercare_desk.answer_survey(number, question, value)


async def _survey(app, number: str) -> Survey | None:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        return await session.scalar(select(Survey).filter_by(case_id=case.id))


async def _failed_case_surveyed(app, clock) -> tuple[str, DueJobs]:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "failed", "对方拒绝赔偿")
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    return number, jobs


async def test_the_survey_goes_out_a_day_after_the_outcome_and_only_once(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "failed", "对方拒绝赔偿")
    clock.advance(timedelta(hours=23))
    await jobs.run_due()
    assert await pushes(app, "survey") == []
    clock.advance(timedelta(hours=1))
    assert "survey_send:ran" in await jobs.run_due()
    [(row, message)] = await pushes(app, "survey")
    assert row.recipient == "owner" and number in message.text and "满意" in message.text
    assert message.options[0].label == "非常满意"
    assert message.options[-1].payload == f"survey:{number}:overall:1"

    [request] = await jobs.requests("survey_send")
    await jobs.run(request)  # the job runs a second time
    async with app.db.sessions() as session, session.begin():  # the outcome is planned again
        case = await session.scalar(select(Case).filter_by(number=number))
        await outcome_recorded(session, case, at=clock.now())
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    assert len(await pushes(app, "survey")) == 1
    survey = await _survey(app, number)
    assert (survey.status, survey.sent_at) == ("sent", clock.now() - timedelta(days=1))


async def test_one_reminder_after_three_days_and_no_more(app, clock) -> None:
    number, jobs = await _failed_case_surveyed(app, clock)
    await _answer(app, number, "overall", "4")
    clock.advance(timedelta(days=2, hours=23))
    await jobs.run_due()
    assert len(await pushes(app, "survey")) == 1
    clock.advance(timedelta(hours=1))
    assert "survey_reminder:ran" in await jobs.run_due()
    sent = await pushes(app, "survey")
    assert len(sent) == 2
    reminder = sent[1][1]
    assert "提醒" in reminder.text and "公正" in reminder.text  # the next unanswered question
    assert reminder.options[0].payload == f"survey:{number}:fair:yes"

    [request] = await jobs.requests("survey_reminder")
    await jobs.run(request)  # a second run of the same reminder
    clock.advance(timedelta(days=3))
    await jobs.run_due()
    assert len(await pushes(app, "survey")) == 2
    assert (await _survey(app, number)).reminded_at == clock.now() - timedelta(days=3)


async def test_a_finished_survey_gets_no_reminder(app, clock) -> None:
    number, jobs = await _failed_case_surveyed(app, clock)
    for question, value in (("overall", "5"), ("fair", "yes"), ("fast", "partly")):
        assert (await _answer(app, number, question, value)).state == "next"
    assert (await _answer(app, number, "comment", "调解员很耐心")).state == "done"
    clock.advance(timedelta(days=3))
    await jobs.run_due()
    assert len(await pushes(app, "survey")) == 1
    assert await status_of(app, number) == "closed"  # a failed case: nothing else pending


async def test_a_reminder_a_day_late_is_dropped_with_an_event(app, clock) -> None:
    number, jobs = await _failed_case_surveyed(app, clock)
    clock.advance(timedelta(days=4, hours=1))  # the scheduler was down on day 3
    assert "survey_reminder:missed" in await jobs.run_due()
    assert len(await pushes(app, "survey")) == 1
    assert "survey_reminder_missed" in await event_kinds(app, number)


async def test_answers_are_stored_in_clear_for_reports_and_the_comment_encrypted(
    app, clock
) -> None:
    number, _ = await _failed_case_surveyed(app, clock)
    await _answer(app, number, "overall", "3")
    await _answer(app, number, "fair", "partly")
    await _answer(app, number, "fast", "no")
    await _answer(app, number, "comment", "等了太久才有人联系我")
    survey = await _survey(app, number)
    assert (survey.status, survey.overall, survey.fair, survey.fast) == (
        "answered",
        3,
        "partly",
        "no",
    )
    assert survey.answered_at == clock.now()
    assert survey.answers["comment"] == "等了太久才有人联系我"
    async with app.db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT answers FROM surveys"))).scalar_one()
    assert "等了太久" not in str(raw) and "overall" not in str(raw)


async def test_a_low_score_tells_the_supervisor_once(app, clock) -> None:
    await link_chat(app, "s_lou_01", "lou")  # the county supervisor (the town centre has none)
    number, _ = await _failed_case_surveyed(app, clock)
    await _answer(app, number, "overall", "1")
    [(row, message)] = await pushes(app, "survey_low_score")
    assert row.recipient == "lou"
    assert number in message.text and "1 分" in message.text and "周玲芝" in message.text
    assert message.options == ()  # the county may not open a village committee's card
    await _answer(app, number, "fair", "no")  # low again: no second push
    await _answer(app, number, "overall", "2")  # a second tap changes nothing
    assert len(await pushes(app, "survey_low_score")) == 1
    assert (await _survey(app, number)).overall == 1
    assert (await event_kinds(app, number)).count("survey_low_score") == 1


async def test_not_fair_alone_is_a_low_score(app, clock) -> None:
    await link_chat(app, "s_lou_01", "lou")
    number, _ = await _failed_case_surveyed(app, clock)
    await _answer(app, number, "overall", "4")
    assert await pushes(app, "survey_low_score") == []
    await _answer(app, number, "fair", "no")
    [(_, message)] = await pushes(app, "survey_low_score")
    assert "不公正" in message.text


async def test_the_survey_expires_after_a_week_and_late_taps_change_nothing(app, clock) -> None:
    number, jobs = await _failed_case_surveyed(app, clock)
    await _answer(app, number, "overall", "4")
    clock.advance(timedelta(days=7))
    await jobs.run_due()
    survey = await _survey(app, number)
    assert (survey.status, survey.overall) == ("expired", 4)  # what was answered stays
    assert await status_of(app, number) == "closed"
    assert (await _answer(app, number, "fair", "no")).state == "closed"
    assert (await _survey(app, number)).fair is None


async def test_after_answering_a_tap_changes_nothing(app, clock) -> None:
    number, _ = await _failed_case_surveyed(app, clock)
    for question, value in (("overall", "5"), ("fair", "yes"), ("fast", "yes")):
        await _answer(app, number, question, value)
    await _answer(app, number, "comment", None)  # skipped
    assert (await _answer(app, number, "overall", "1")).state == "already"
    survey = await _survey(app, number)
    assert (survey.overall, survey.answers.get("comment", "absent")) == (5, None)


async def test_someone_else_cannot_answer_the_survey(app, clock) -> None:
    number, _ = await _failed_case_surveyed(app, clock)
    assert (await _answer(app, number, "overall", "1", user="stranger")).state == "not_found"
    assert (await _survey(app, number)).overall is None


async def test_a_withdrawn_case_gets_no_survey(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "withdrawn", None)
    clock.advance(timedelta(days=20))
    await jobs.run_due()
    assert await pushes(app, "survey") == []
    assert await status_of(app, number) == "withdrawn"


async def test_a_case_sent_to_the_tribunal_is_surveyed_after_its_final_outcome(
    app, clock
) -> None:
    """Failed, then referred to the tribunal before the survey went out: the survey waits for
    the tribunal's outcome (and still goes out only once)."""
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "failed", "对方拒绝赔偿")
    async with app.db.sessions() as session, session.begin():
        case = await session.scalar(select(Case).filter_by(number=number))
        mediator = await session.get(Mediator, case.mediator_id)
        await StaffDesk(session, clock, mediator).refer_to_court(number)
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    assert await pushes(app, "survey") == []
    await end_case(app, number, "agreement", "法庭调解达成协议")
    clock.advance(timedelta(days=1))
    await jobs.run_due()
    assert len(await pushes(app, "survey")) == 1
