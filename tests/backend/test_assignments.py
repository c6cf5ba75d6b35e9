"""Offers and what follows, in the backend: the minimised push, accepting, declining down the
organisation and up a tier, and a case at the tribunal that stays there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from backend.assignments import expire_overdue_offers
from backend.deadlines import sweep_deadlines
from backend.models import Assignment, Mediator, Organization
from backend.records import CaseDraft
from backend.staff_desk import StaffDesk
from backend.staff_records import Refused
from tests.case_setup import case_row, link_chat

ACCOUNT = "我电话13812345678，隔壁邻居天天半夜装修，吵得一家人睡不着，说了也不听"


async def _file(app, user_id: str = "owner", **draft: object) -> str:
    fields: dict[str, object] = {
        "description": ACCOUNT,
        "category": "neighbour",
        "town_code": "fengqiao",
        "village_code": "fengqiao.chenjia",
        "place_text": "枫桥镇陈家村18号",
        "other_party": "王大锤",
        "other_party_role": "neighbour",
        "phone": "13812345678",
        **draft,
    }
    async with app.store.dialogue_session("console", user_id) as unit:
        return (await unit.submit_case(CaseDraft(**fields))).number  # type: ignore[arg-type]


@asynccontextmanager
async def staff(app, code: str) -> AsyncIterator[StaffDesk]:
    """The staff member's desk in one unit of work, committed on leaving."""
    user = f"chat-{code}"
    await link_chat(app, code, user)
    async with app.store.dialogue_session("console", user) as unit:
        desk = await unit.staff_desk()
        assert desk is not None
        yield desk


async def _offers(app, number: str) -> list[tuple[str, str | None, str]]:
    """(organisation, mediator, status) of each offer of the case, oldest first."""
    case = await case_row(app, number)
    async with app.db.sessions() as session:
        rows = await session.execute(
            select(Organization.code, Mediator.code, Assignment.status)
            .join(Organization, Organization.id == Assignment.organization_id)
            .outerjoin(Mediator, Mediator.id == Assignment.mediator_id)
            .where(Assignment.case_id == case.id)
            .order_by(Assignment.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_declines_go_through_the_organisation_then_one_tier_up(app) -> None:
    number = await _file(app)
    async with staff(app, "m_zhou_03") as desk:
        first = await desk.decline(number, "busy")
    assert (first.mediator_name, first.escalated) == ("骆荣生", False)
    async with staff(app, "m_luo_03") as desk:
        second = await desk.decline(number, "conflict")
    assert second.escalated and second.organization_name == "枫桥镇人民调解中心"
    assert await _offers(app, number) == [
        ("fengqiao.chenjia.committee", "m_zhou_03", "declined"),
        ("fengqiao.chenjia.committee", "m_luo_03", "declined"),
        ("fengqiao.centre", "m_zhao_02", "offered"),  # neighbour disputes: the admin's skill
    ]
    case = await case_row(app, number)
    assert (case.status, case.tier) == ("escalated", "town")
    kinds = [e.kind for e in case.events]
    assert kinds.count("declined") == 2 and kinds.count("offered") == 3


async def test_a_decline_needs_a_known_reason_and_an_offer_to_this_person(app) -> None:
    number = await _file(app)
    async with staff(app, "m_zhou_03") as desk:
        with pytest.raises(Refused, match="bad_reason"):
            await desk.decline(number, "lazy")
    async with staff(app, "m_luo_03") as desk:  # same committee, but not offered to them
        with pytest.raises(Refused, match="no_such_case"):
            await desk.accept(number)


async def test_a_case_referred_to_the_tribunal_goes_to_the_liaison_judge_and_stays_there(
    app, clock
) -> None:
    number = await _file(app)
    async with staff(app, "m_zhou_03") as desk:
        await desk.accept(number)
        assert await desk.refer_to_court(number) == "枫桥人民法庭"
    case = await case_row(app, number)
    assert case.status == "referred_to_court" and case.mediator.code == "judge_wang"
    async with staff(app, "m_zhou_03") as desk:  # no longer theirs
        assert await desk.case_view(number) is None

    # nobody at the tribunal answers: the other judges there, never back to a committee
    for _ in range(3):
        clock.advance(timedelta(hours=49))
        await sweep_deadlines(app.db, clock)
    offers = await _offers(app, number)
    assert [o[0] for o in offers[1:]] == ["fengqiao_tribunal"] * 4
    assert {o[1] for o in offers[1:4]} == {"judge_wang", "judge_chen", "judge_yang"}
    assert offers[-1] == ("fengqiao_tribunal", None, "offered")  # its administrators decide
    assert (await case_row(app, number)).status == "referred_to_court"


async def test_the_liaison_judge_accepts_a_referred_case_and_records_the_agreement(app) -> None:
    number = await _file(app)
    async with staff(app, "m_zhou_03") as desk:
        await desk.accept(number)
        await desk.refer_to_court(number)
    async with staff(app, "judge_wang") as desk:
        before = await desk.case_view(number)
        assert before is not None and before.phone is None  # only offered so far
        view = await desk.accept(number)
        assert (view.status, view.phone) == ("accepted", "13812345678")
        await desk.record_outcome(number, "agreement", "王某每月还款2000元")
        assert await desk.request_confirmation(number) == "枫桥人民法庭"
    case = await case_row(app, number)
    assert (case.status, case.outcome, case.outcome_text) == (
        "resolved",
        "agreement",
        "王某每月还款2000元",
    )
    assert case.events[-1].kind == "judicial_confirmation_requested"


async def _lock_waiters(app) -> int:
    async with app.db.sessions() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
        return int(found or 0)


async def test_an_accept_racing_the_deadline_sweep_waits_for_it_and_is_refused(
    app, clock, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    number = await _file(app)
    await link_chat(app, "m_zhou_03", "chat-m_zhou_03")
    clock.advance(timedelta(hours=49))

    async def accept_late() -> None:
        async with staff(app, "m_zhou_03") as desk:
            await desk.accept(number)

    async with app.db.sessions() as sweep, sweep.begin():
        assert await expire_overdue_offers(sweep, at=clock.now()) == 1  # holds the row lock
        accepting = asyncio.create_task(accept_late())
        for _ in range(2000):  # until the accept is waiting for the lock
            if accepting.done() or await _lock_waiters(app):
                break
            await asyncio.sleep(0.005)
        assert not accepting.done()
    with pytest.raises(Refused, match="not_offered"):
        await accepting
    case = await case_row(app, number)
    assert (case.status, case.mediator.code) == ("routed", "m_luo_03")  # the sweep's choice
