"""A resident's own cases in the backend: listing with the next date, withdrawing, messages and
evidence that reach the mediator; never anyone else's case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend import lifecycle
from backend.models import Assignment, Case, CaseMessage, Evidence, Organization
from backend.records import CaseDraft
from backend.resident_cases import ResidentCaseDesk, next_date
from backend.resident_records import CaseUnavailable, EvidenceFile
from backend.statuses import CaseStatus
from tests.case_setup import accept, case_row, link_chat, pushes

ACCOUNT = "隔壁邻居天天半夜装修，吵得一家人睡不着"


async def _file(app, user_id: str, village: str | None = "fengqiao.chenjia") -> str:
    draft = CaseDraft(
        description=ACCOUNT,
        category="neighbour",
        town_code="fengqiao",
        village_code=village,
        phone="13812345678",
    )
    async with app.store.dialogue_session("console", user_id) as unit:
        return (await unit.submit_case(draft)).number


@asynccontextmanager
async def desk_of(app, user_id: str) -> AsyncIterator[ResidentCaseDesk]:
    """The resident's desk in one unit of work, committed on leaving."""
    async with app.store.dialogue_session("console", user_id) as unit:
        yield unit.my_cases_desk


async def test_a_waiting_case_shows_its_organisation_and_answer_deadline(app, clock) -> None:
    number = await _file(app, "owner")
    async with desk_of(app, "owner") as desk:
        [mine] = await desk.cases()
    assert (mine.number, mine.status, mine.waiting) == (number, "routed", True)
    assert mine.organization_name == "枫桥镇陈家村人民调解委员会"
    assert mine.mediator_name is None  # nobody has taken it yet
    assert mine.next_date_kind == "respond_by"
    assert mine.next_date == clock.now() + timedelta(hours=48)
    assert mine.can_withdraw and mine.can_add


async def test_a_taken_case_shows_its_mediator_and_mediation_deadline(app, clock) -> None:
    number = await _file(app, "owner")
    name = await accept(app, number)
    async with desk_of(app, "owner") as desk:
        mine = await desk.case(number)
    assert mine is not None and not mine.waiting
    assert mine.mediator_name == name
    assert (mine.next_date_kind, mine.next_date) == ("mediation_due", clock.now() + timedelta(30))


async def test_next_date_for_a_case_routed_before_offers_were_recorded(clock) -> None:
    org = Organization(name="某调委会", response_deadline_hours=24)
    case = Case(status="routed", routed_at=clock.now(), organization=org)
    assert next_date(case, None) == (clock.now() + timedelta(hours=24), "respond_by")
    offer = Assignment(respond_by=clock.now() + timedelta(hours=5))
    assert next_date(case, offer) == (offer.respond_by, "respond_by")
    assert next_date(Case(status="resolved"), None) == (None, None)


async def test_the_list_holds_only_the_residents_own_cases_newest_first(app, clock) -> None:
    first = await _file(app, "owner")
    await _file(app, "someone-else")
    clock.advance(timedelta(minutes=5))
    second = await _file(app, "owner", "fengqiao.xincun")
    async with desk_of(app, "owner") as desk:
        listed = [c.number for c in await desk.cases()]
    assert listed == [second, first]


async def test_withdrawing_ends_the_offer_and_tells_the_mediator(app, clock) -> None:
    number = await _file(app, "owner")
    mediator = (await case_row(app, number)).mediator
    assert mediator is not None
    await link_chat(app, mediator.code, "mediator-chat", channel="telegram")
    clock.advance(timedelta(hours=1))
    async with desk_of(app, "owner") as desk:
        withdrawn = await desk.withdraw(number, "settled")
    assert withdrawn.status == "withdrawn" and not withdrawn.can_withdraw
    case = await case_row(app, number)
    assert (case.status, case.outcome, case.mediation_due_at) == ("withdrawn", "withdrawn", None)
    last = case.events[-1]
    assert (last.kind, last.to_status) == ("status_changed", "withdrawn")
    assert last.actor_kind == "resident"
    assert last.data == {"reason": "settled"}
    async with app.db.sessions() as session:
        offers = (await session.scalars(select(Assignment).filter_by(case_id=case.id))).all()
    assert {(o.status, o.reason) for o in offers} == {("ended", "withdrawn")}
    [(row, text)] = await pushes(app, "withdrawn")
    assert (row.channel, row.recipient, row.case_id) == ("telegram", "mediator-chat", case.id)
    assert number in text.text and "已和对方谈好" in text.text
    assert "138" not in text.text  # nothing personal in the push


async def test_withdrawing_without_a_reachable_mediator_still_withdraws(app) -> None:
    number = await _file(app, "owner")
    async with desk_of(app, "owner") as desk:
        await desk.withdraw(number, "changed_mind")
    assert (await case_row(app, number)).status == "withdrawn"
    assert await pushes(app, "withdrawn") == []


async def test_what_cannot_be_withdrawn(app) -> None:
    number = await _file(app, "owner")
    other = await _file(app, "someone-else")
    async with desk_of(app, "owner") as desk:
        with pytest.raises(ValueError):
            await desk.withdraw(number, "because")
        await desk.withdraw(number, "other")
    for target, reason in ((number, "closed"), (other, "not_found"), ("2026-999999", "not_found")):
        async with desk_of(app, "owner") as desk:
            with pytest.raises(CaseUnavailable) as refused:
                await desk.withdraw(target, "other")
            assert refused.value.reason == reason
    assert (await case_row(app, other)).status == "routed"


async def test_a_case_at_the_tribunal_is_withdrawn_there(app) -> None:
    number = await _file(app, "owner")
    async with app.db.sessions() as session, session.begin():
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        lifecycle.change_status(
            session,
            case,
            CaseStatus.REFERRED_TO_COURT,
            at=app.store.clock.now(),
            actor_kind="mediator",
        )
    async with desk_of(app, "owner") as desk:
        assert (await desk.case(number)).can_add  # type: ignore[union-attr]
        with pytest.raises(CaseUnavailable) as refused:
            await desk.withdraw(number, "other")
    assert refused.value.reason == "at_court"


async def test_someone_elses_case_is_not_there_at_all(app) -> None:
    other = await _file(app, "someone-else")
    async with desk_of(app, "owner") as desk:
        assert await desk.case(other) is None
        assert await desk.cases() == []
        for act in (
            desk.add_message(other, "我也要说两句"),
            desk.add_evidence(other, EvidenceFile("photo", "/x.jpg", "image/jpeg", 1, "ab"), None),
        ):
            with pytest.raises(CaseUnavailable) as refused:
                await act
            assert refused.value.reason == "not_found"
    async with app.db.sessions() as session:
        assert (await session.scalars(select(CaseMessage))).all() == []


async def test_a_message_reaches_the_mediator_who_took_the_case_masked(app) -> None:
    number = await _file(app, "owner")
    name = await accept(app, number)
    mediator = (await case_row(app, number)).mediator
    assert mediator is not None
    await link_chat(app, mediator.code, "mediator-chat")
    async with desk_of(app, "owner") as desk:
        relay = await desk.add_message(
            number, "对方说下周来修，他电话 139 1234 5678，身份证330681199001011234"
        )
    assert (relay.reached, relay.mediator_name) == ("mediator", name)
    case = await case_row(app, number)
    async with app.db.sessions() as session:
        [message] = (await session.scalars(select(CaseMessage))).all()
    assert (message.case_id, message.kind) == (case.id, "to_mediator")
    assert message.author_kind == "resident"
    assert "139 1234 5678" in message.body  # stored whole (encrypted); masked only in the push
    assert case.events[-1].kind == "resident_message"
    [(row, text)] = await pushes(app, "resident_message")
    assert row.recipient == "mediator-chat"
    assert "对方说下周来修" in text.text and "139****5678" in text.text
    assert "1234 5678" not in text.text and "199001011234" not in text.text
    assert [o.payload for o in text.options] == [f"staff:view:{number}"]


async def test_before_anyone_takes_the_case_messages_go_to_the_administrators(app) -> None:
    number = await _file(app, "owner", "fengqiao.xincun")
    async with desk_of(app, "owner") as desk:
        relay = await desk.add_message(number, "补充一下：昨晚又吵到两点")
    assert relay.reached is None  # no administrator has a chat account: kept on the case
    assert await pushes(app, "resident_message") == []
    # the village committee has no administrator; its offered mediator is not told either
    case = await case_row(app, number)
    assert case.mediator is not None
    await link_chat(app, case.mediator.code, "offered-mediator")
    async with desk_of(app, "owner") as desk:
        assert (await desk.add_message(number, "还有一件事")).reached is None


async def test_administrators_with_a_chat_account_hear_of_messages(app) -> None:
    number = await _file(app, "owner", None)  # no village: the town centre
    case = await case_row(app, number)
    async with app.db.sessions() as session:
        org = await session.get(Organization, case.organization_id)
    assert org is not None and org.code == "fengqiao.centre"
    await link_chat(app, "m_zhao_02", "town-admin")  # 赵建华, administrator of the centre
    async with desk_of(app, "owner") as desk:
        relay = await desk.add_message(number, "补充一下：昨晚又吵到两点")
    assert (relay.reached, relay.organization_name) == ("organization", org.name)
    [(row, text)] = await pushes(app, "resident_message")
    assert row.recipient == "town-admin" and "昨晚又吵到两点" in text.text


async def test_evidence_is_stored_on_the_case_and_announced(app) -> None:
    number = await _file(app, "owner")
    await accept(app, number)
    mediator = (await case_row(app, number)).mediator
    assert mediator is not None
    await link_chat(app, mediator.code, "mediator-chat")
    photo = EvidenceFile("photo", "/var/evidence/ab/1.jpg", "image/jpeg", 2048, "ab" * 32)
    async with desk_of(app, "owner") as desk:
        relay = await desk.add_evidence(number, photo, "墙上的裂缝")
    assert relay.reached == "mediator"
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        evidence = (await session.scalars(select(Evidence).filter_by(case_id=case.id))).all()
        [message] = (await session.scalars(select(CaseMessage))).all()
    added = evidence[-1]
    assert (added.kind, added.storage_path, added.sha256, added.note) == (
        "photo",
        photo.path,
        photo.sha256,
        "墙上的裂缝",
    )
    assert (message.evidence_id, message.body) == (added.id, "墙上的裂缝")
    [(_, text)] = await pushes(app, "resident_message")
    assert "证据" in text.text and "墙上的裂缝" in text.text


async def test_a_finished_case_takes_no_more_messages(app) -> None:
    number = await _file(app, "owner")
    async with desk_of(app, "owner") as desk:
        await desk.withdraw(number, "settled")
    async with desk_of(app, "owner") as desk:
        assert not (await desk.case(number)).can_add  # type: ignore[union-attr]
        with pytest.raises(CaseUnavailable) as refused:
            await desk.add_message(number, "算了")
    assert refused.value.reason == "closed"
