"""Follow-ups on the test clock: an offer nobody took in 24 hours reminds the administrator
once; an agreement is checked after 15 days, and "not kept" reopens the case for its
mediator while "kept" lets it close."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.aftercare_desk import AftercareDesk
from backend.models import Case, Mediator
from backend.models_scheduling import FollowUp
from backend.records import CaseDraft
from backend.staff_desk import StaffDesk
from tests.aftercare_steps import DueJobs, end_case, event_kinds, file_case, status_of
from tests.case_setup import accept, link_chat, pushes


async def _answer(app, user_id: str, number: str, answer: str):
    async with app.store.dialogue_session("console", user_id) as unit:
        return await unit.aftercare_desk.answer_follow_up(number, answer)


async def _follow_up(app, number: str) -> FollowUp | None:
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        return await session.scalar(select(FollowUp).filter_by(case_id=case.id))


# --- an offer unanswered for 24 hours ----------------------------------------------------


async def test_an_offer_unanswered_for_24_hours_reminds_the_administrator_once(app, clock) -> None:
    await link_chat(app, "m_zhao_02", "zhao")  # the town centre's admin (the committee has none)
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")

    clock.advance(timedelta(hours=23, minutes=59))
    assert await jobs.run_due() == []
    assert await pushes(app, "acceptance_follow_up") == []

    clock.advance(timedelta(minutes=1))
    assert await jobs.run_due() == ["acceptance_follow_up:ran"]
    [(row, message)] = await pushes(app, "acceptance_follow_up")
    assert row.recipient == "zhao"
    assert number in message.text and "周玲芝" in message.text and "24小时" in message.text
    assert "11月22日 10:00" in message.text  # the answer deadline, in the county's time

    [request] = await jobs.requests("acceptance_follow_up")
    await jobs.run(request)  # the same job once more (a second scheduler, a retry)
    clock.advance(timedelta(hours=6))
    await jobs.run_due()
    assert len(await pushes(app, "acceptance_follow_up")) == 1
    assert (await event_kinds(app, number)).count("acceptance_follow_up") == 1


async def test_an_offer_taken_within_24_hours_gets_no_follow_up(app, clock) -> None:
    await link_chat(app, "m_zhao_02", "zhao")
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    clock.advance(timedelta(hours=3))
    await accept(app, number)
    clock.advance(timedelta(hours=24))
    assert await jobs.run_due() == ["acceptance_follow_up:ran"]
    assert await pushes(app, "acceptance_follow_up") == []
    assert "acceptance_follow_up" not in await event_kinds(app, number)


async def test_each_new_offer_has_its_own_follow_up(app, clock) -> None:
    """A decline offers the case to the next mediator: their offer is followed up in turn."""
    await link_chat(app, "m_zhao_02", "zhao")
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    clock.advance(timedelta(hours=2))
    async with app.db.sessions() as session, session.begin():
        zhou = await session.scalar(select(Mediator).filter_by(code="m_zhou_03"))
        await StaffDesk(session, clock, zhou).decline(number, "busy")
    clock.advance(timedelta(hours=24))
    assert await jobs.run_due() == ["acceptance_follow_up:ran", "acceptance_follow_up:ran"]
    [(_, message)] = await pushes(app, "acceptance_follow_up")
    assert "骆荣生" in message.text  # only the standing offer, to the second mediator


async def test_a_follow_up_more_than_12_hours_late_is_dropped_with_an_event(app, clock) -> None:
    await link_chat(app, "m_zhao_02", "zhao")
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    clock.advance(timedelta(hours=24 + 13))  # the scheduler was down meanwhile
    assert await jobs.run_due() == ["acceptance_follow_up:missed"]
    assert await pushes(app, "acceptance_follow_up") == []
    assert "follow_up_missed" in await event_kinds(app, number)


async def test_a_short_answer_deadline_needs_no_follow_up(app, clock) -> None:
    """The traffic committee answers within 24 hours: its own deadline moves the offer on."""
    draft = CaseDraft(
        description="我的电动车被小轿车撞了，车坏了腿也擦伤了",
        category="traffic_accident",
        town_code="fengqiao",
        village_code="fengqiao.chenjia",
        phone="13812345678",
    )
    async with app.store.dialogue_session("console", "rider") as unit:
        await unit.submit_case(draft)
    assert await DueJobs(app, clock).requests("acceptance_follow_up") == []


# --- is the agreement kept? --------------------------------------------------------------


async def test_the_agreement_is_followed_up_after_15_days(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=14, hours=23))
    await jobs.run_due()
    assert await pushes(app, "agreement_follow_up") == []
    clock.advance(timedelta(hours=1))
    await jobs.run_due()
    [(row, message)] = await pushes(app, "agreement_follow_up")
    assert row.recipient == "owner" and number in message.text and "履行" in message.text
    assert [o.payload for o in message.options] == [
        f"followup:{number}:kept",
        f"followup:{number}:partly",
        f"followup:{number}:not_kept",
    ]
    [request] = await jobs.requests("agreement_follow_up")
    await jobs.run(request)  # run twice: asked once
    assert len(await pushes(app, "agreement_follow_up")) == 1


async def test_not_kept_reopens_the_case_and_tells_the_mediator(app, clock) -> None:
    await link_chat(app, "m_zhou_03", "zhou")
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=15))
    await jobs.run_due()

    receipt = await _answer(app, "owner", number, "not_kept")
    assert (receipt.state, receipt.reopened, receipt.mediator_name) == ("recorded", True, "周玲芝")
    assert await status_of(app, number) == "in_mediation"
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case.outcome is None and case.mediation_due_at == clock.now() + timedelta(days=30)
    row = await _follow_up(app, number)
    assert (row.status, row.answer, row.answered_at) == ("answered", "not_kept", clock.now())
    [(push, message)] = await pushes(app, "reopened")
    assert push.recipient == "zhou" and number in message.text and "没有履行" in message.text
    events = await event_kinds(app, number)
    assert events[-2:] == ["follow_up_answered", "->in_mediation"]

    again = await _answer(app, "owner", number, "kept")  # a second tap changes nothing
    assert again.state == "already"
    assert (await _follow_up(app, number)).answer == "not_kept"


async def test_a_second_agreement_after_reopening_is_followed_up_again(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=15))
    await jobs.run_due()
    await _answer(app, "owner", number, "partly")
    assert await status_of(app, number) == "in_mediation"

    clock.advance(timedelta(days=5))
    await end_case(app, number, "agreement", "剩余200元月底前付清")
    clock.advance(timedelta(days=15))
    await jobs.run_due()
    assert len(await pushes(app, "agreement_follow_up")) == 2
    receipt = await _answer(app, "owner", number, "kept")
    assert (receipt.state, receipt.reopened) == ("recorded", False)
    assert await status_of(app, number) == "closed"  # the survey expired long ago


async def test_kept_closes_the_case_once_the_survey_is_done(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=1))
    await jobs.run_due()  # the survey goes out
    async with app.store.dialogue_session("console", "owner") as unit:
        for question, value in (("overall", "5"), ("fair", "yes"), ("fast", "yes")):
            await unit.aftercare_desk.answer_survey(number, question, value)
    assert await status_of(app, number) == "resolved"  # the comment is still open
    async with app.store.dialogue_session("console", "owner") as unit:
        await unit.aftercare_desk.answer_survey(number, "comment", None)
    assert await status_of(app, number) == "resolved"  # the follow-up is still to come
    clock.advance(timedelta(days=14))
    await jobs.run_due()
    await _answer(app, "owner", number, "kept")
    assert await status_of(app, number) == "closed"
    assert (await event_kinds(app, number))[-1] == "->closed"


async def test_an_unanswered_follow_up_expires_after_a_week_and_the_case_closes(
    app, clock
) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=15))
    await jobs.run_due()
    clock.advance(timedelta(days=6, hours=23))
    await jobs.run_due()
    assert await status_of(app, number) == "resolved"
    clock.advance(timedelta(hours=1))
    await jobs.run_due()
    assert (await _follow_up(app, number)).status == "expired"
    assert await status_of(app, number) == "closed"
    late = await _answer(app, "owner", number, "not_kept")
    assert late.state == "expired" and await status_of(app, number) == "closed"


async def test_without_a_chat_account_the_mediator_is_asked_to_call(app, clock) -> None:
    """An offline case: the resident has no chat account to ask."""
    await link_chat(app, "m_zhou_03", "zhou")
    jobs = DueJobs(app, clock)
    async with app.db.sessions() as session, session.begin():
        zhou = await session.scalar(select(Mediator).filter_by(code="m_zhou_03"))
        draft = CaseDraft(
            description="邻居在楼道堆放杂物，多次沟通无果",
            category="neighbour",
            town_code="fengqiao",
            village_code="fengqiao.chenjia",
            phone="13812345678",
            resident_name="陈阿婆",
            consent_version="2026-11",
        )
        number = (await StaffDesk(session, clock, zhou).register_on_behalf(draft, "offline")).number
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=15))
    await jobs.run_due()
    [(push, message)] = await pushes(app, "agreement_follow_up")
    assert push.recipient == "zhou" and "电话" in message.text
    assert await status_of(app, number) == "closed"  # no survey and no answer to wait for
    assert {"survey_not_sent", "follow_up_unreachable"} <= set(await event_kinds(app, number))


async def test_someone_elses_case_answers_like_no_follow_up(app, clock) -> None:
    jobs = DueJobs(app, clock)
    number = await file_case(app, "owner")
    await end_case(app, number, "agreement")
    clock.advance(timedelta(days=15))
    await jobs.run_due()
    assert (await _answer(app, "stranger", number, "not_kept")).state == "not_asked"
    assert await status_of(app, number) == "resolved"
    desk_type = AftercareDesk  # the dialogue's desk is this backend class
    async with app.store.dialogue_session("console", "owner") as unit:
        assert isinstance(unit.aftercare_desk, desk_type)
