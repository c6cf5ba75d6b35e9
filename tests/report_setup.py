"""A small county history with known figures for the monthly report, made through the backend
functions a resident's chat and a mediator's desk use, with the clock set for each step.

November 2026 (county time, UTC+8) is the report month. Expected figures for November:

  answered or re-routed within 48 h: 7 of 8 offers (A, B's expired offer passed on by the
      sweep in time, B's second offer, C, D's decline, D's second offer, E; F's offer is
      still open a day after its deadline); answered by a person: 6
  finished within 30 days: 5 of 6 (O2, A, B, D, E finished; O1's 30 days ran out on
      10 November without an outcome; C's 30 days run to December)
  mediation success: 3 of 5 (O2, A, E agreements; B failed; D withdrawn)
  satisfaction: A answered 5 (E's survey is answered by the test that needs it)
  self-application: 5 of 6 (C was registered offline)
  hotspot: 陈家村 (3 cases, 2 in the three months before); 西施社区 has 3 too but 5 before
  risk case: E (high, "violence_threat")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend import assignments
from backend.deadlines import sweep_deadlines
from backend.models import Assignment, Case, Mediator, Organization
from backend.notify import staff_of
from backend.records import CaseDraft
from backend.staff_desk import StaffDesk
from backend.surveys import send_survey

COUNTY = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
OTHER_PARTY = "王大锤"
ACCOUNT = f"我电话{PHONE}，隔壁邻居{OTHER_PARTY}天天半夜装修，吵得一家人睡不着"
CHENJIA, XISHI = ("fengqiao", "fengqiao.chenjia"), ("jiyang", "jiyang.xishi")
AS_OF = datetime(2026, 12, 1, 8, 0, tzinfo=COUNTY)  # when the monthly job runs


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=COUNTY).astimezone(UTC)


@dataclass
class History:
    numbers: dict[str, str] = field(default_factory=dict)  # label -> case number


def _draft(place: tuple[str, str], category: str = "neighbour", **extra: object) -> CaseDraft:
    town, village = place
    fields: dict[str, object] = {
        "description": ACCOUNT,
        "category": category,
        "town_code": town,
        "village_code": village,
        "place_text": "18号",
        "other_party": OTHER_PARTY,
        "other_party_role": "neighbour",
        "phone": PHONE,
        **extra,
    }
    return CaseDraft(**fields)  # type: ignore[arg-type]


async def file(app, label: str, when: datetime, place: tuple[str, str], **extra: object) -> str:
    app.store.clock.set(when)
    async with app.store.dialogue_session("console", f"resident-{label}") as unit:
        return (await unit.submit_case(_draft(place, **extra))).number


async def _staff_for_offer(session, case: Case) -> Mediator:
    offer = (
        await session.scalars(
            select(Assignment)
            .where(Assignment.case_id == case.id, Assignment.status == "offered")
            .order_by(Assignment.id.desc())
        )
    ).first()
    assert offer is not None, case.number
    if offer.mediator_id is not None:
        person = await session.get(Mediator, offer.mediator_id)
    else:
        org = await session.get(Organization, offer.organization_id)
        person = (await staff_of(session, org, ("admin",)))[0]
    assert person is not None
    return person


async def _case(session, number: str) -> Case:
    case = await session.scalar(select(Case).filter_by(number=number))
    assert case is not None
    return case


async def accept(app, number: str, when: datetime) -> None:
    """Whoever the current offer went to takes the case."""
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        case = await _case(session, number)
        await assignments.accept(session, case, await _staff_for_offer(session, case), at=when)


async def decline(app, number: str, when: datetime) -> None:
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        case = await _case(session, number)
        person = await _staff_for_offer(session, case)
        await assignments.decline(session, case, person, reason="busy", at=when)


async def outcome(app, number: str, result: str, when: datetime) -> None:
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        case = await _case(session, number)
        person = await session.get(Mediator, case.mediator_id)
        desk = StaffDesk(session, app.store.clock, person)
        await desk.record_outcome(number, result, None)


async def refer_to_court(app, number: str, when: datetime) -> None:
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        case = await _case(session, number)
        person = await session.get(Mediator, case.mediator_id)
        await StaffDesk(session, app.store.clock, person).refer_to_court(number)


async def withdraw(app, label: str, number: str, when: datetime) -> None:
    app.store.clock.set(when)
    async with app.store.dialogue_session("console", f"resident-{label}") as unit:
        await unit.my_cases_desk.withdraw(number, "settled")


async def survey(app, number: str, when: datetime) -> None:
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        await send_survey(session, (await _case(session, number)).id, at=when)


async def answer_survey(app, label: str, number: str, overall: str, when: datetime) -> None:
    app.store.clock.set(when)
    for question, value in (("overall", overall), ("fair", "yes"), ("fast", "yes")):
        async with app.store.dialogue_session("console", f"resident-{label}") as unit:
            await unit.aftercare_desk.answer_survey(number, question, value)
    async with app.store.dialogue_session("console", f"resident-{label}") as unit:
        await unit.aftercare_desk.answer_survey(number, "comment", "skip")


async def offline_case(app, mediator_code: str, when: datetime, place: tuple[str, str]) -> str:
    app.store.clock.set(when)
    async with app.db.sessions() as session, session.begin():
        person = await session.scalar(select(Mediator).filter_by(code=mediator_code))
        desk = StaffDesk(session, app.store.clock, person)
        draft = _draft(place, resident_name="李四", consent_version="2026-11")
        return (await desk.register_on_behalf(draft, "offline")).number


async def build_history(app) -> History:
    h = History()
    n = h.numbers
    # Before November: filler cases in 西施社区 (withdrawn before anyone had to answer), and
    # two cases in 陈家村 taken on in October.
    for label, when in (
        ("p1", local(8, 5)),
        ("p2", local(9, 5)),
        ("p3", local(9, 15)),
        ("p4", local(10, 8)),
        ("p5", local(10, 18)),
    ):
        n[label] = await file(app, label, when, XISHI)
        await withdraw(app, label, n[label], when + timedelta(hours=1))
    n["o1"] = await file(app, "o1", local(10, 10), CHENJIA)
    await accept(app, n["o1"], local(10, 11))
    n["o2"] = await file(app, "o2", local(10, 20), CHENJIA)
    await accept(app, n["o2"], local(10, 21))
    await outcome(app, n["o2"], "agreement", local(11, 2))

    n["a"] = await file(app, "a", local(11, 2), CHENJIA)
    await accept(app, n["a"], local(11, 3))
    n["b"] = await file(app, "b", local(11, 3), CHENJIA, category="land")
    n["c"] = await offline_case(app, "m_zhou_03", local(11, 5), CHENJIA)
    app.store.clock.set(local(11, 5, 10, 5))  # B's offer ran out at 10:00; the sweep passes it on
    await sweep_deadlines(app.db, app.store.clock)
    await accept(app, n["b"], local(11, 6))
    n["d"] = await file(app, "d", local(11, 8), XISHI)
    await decline(app, n["d"], local(11, 8, 12))
    await accept(app, n["d"], local(11, 9))
    await outcome(app, n["a"], "agreement", local(11, 10))
    await survey(app, n["a"], local(11, 11))
    await answer_survey(app, "a", n["a"], "5", local(11, 12))
    n["e"] = await file(
        app,
        "e",
        local(11, 12),
        XISHI,
        risk_level="high",
        risk_reasons=["violence_threat: 再不停我就弄死王大锤"],
    )
    await accept(app, n["e"], local(11, 12, 15))
    await outcome(app, n["e"], "agreement", local(11, 14))
    await survey(app, n["e"], local(11, 15))
    await outcome(app, n["d"], "withdrawn", local(11, 15, 11))
    await outcome(app, n["b"], "failed", local(11, 20))
    n["f"] = await file(app, "f", local(11, 25), XISHI)
    app.store.clock.set(AS_OF.astimezone(UTC))
    return h
