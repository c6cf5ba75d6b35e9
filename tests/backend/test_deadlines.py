"""The deadline sweep on a ManualClock: each organisation's own response and mediation times
(config/organizations.yaml gives the traffic committee 24 hours and 20 days, everyone else the
county's 48 hours and 30 days)."""

from __future__ import annotations

from datetime import timedelta

from backend.deadlines import SweepResult, sweep_deadlines
from tests.backend.test_assignments import _file, _offers, staff
from tests.case_setup import case_row, link_chat, pushes


async def _traffic_case(app) -> str:
    return await _file(
        app,
        description="电动车在枫桥镇路口被小轿车撞了，腿骨折，对方保险公司不肯赔",
        category="traffic_accident",
        other_party="小轿车司机",
        other_party_role="driver",
    )


async def test_the_traffic_committee_answers_within_its_own_24_hours(app, clock) -> None:
    number = await _traffic_case(app)
    [(org, first, _)] = await _offers(app, number)
    assert org == "traffic_committee"
    clock.advance(timedelta(hours=23))
    assert await sweep_deadlines(app.db, clock) == SweepResult(0, 0)
    clock.advance(timedelta(hours=2))
    assert await sweep_deadlines(app.db, clock) == SweepResult(1, 0)
    offers = await _offers(app, number)
    assert offers[0] == ("traffic_committee", first, "expired")
    assert offers[1][0] == "traffic_committee" and offers[1][1] not in (first, None)
    assert offers[1][2] == "offered"
    case = await case_row(app, number)
    missed = [e for e in case.events if e.kind == "response_deadline_missed"]
    assert len(missed) == 1 and missed[0].data["organization"] == "traffic_committee"


async def test_a_village_offer_waits_the_county_default_of_48_hours(app, clock) -> None:
    number = await _file(app)
    clock.advance(timedelta(hours=47, minutes=59))
    assert (await sweep_deadlines(app.db, clock)).offers_expired == 0
    clock.advance(timedelta(minutes=1))
    assert (await sweep_deadlines(app.db, clock)).offers_expired == 1
    assert [o[2] for o in await _offers(app, number)] == ["expired", "offered"]


async def test_mediation_over_the_committees_20_days_goes_to_the_county_centre(
    app, clock
) -> None:
    await link_chat(app, "s_lou_01", "supervisor")
    number = await _traffic_case(app)
    [(_, mediator, _)] = await _offers(app, number)
    async with staff(app, mediator) as desk:
        view = await desk.accept(number)
    assert view.mediation_due_at == clock.now() + timedelta(days=20)
    clock.advance(timedelta(days=19))
    assert (await sweep_deadlines(app.db, clock)).mediations_escalated == 0
    clock.advance(timedelta(days=2))
    assert (await sweep_deadlines(app.db, clock)).mediations_escalated == 1
    case = await case_row(app, number)
    assert (case.status, case.tier) == ("escalated", "county")
    assert [o[2] for o in await _offers(app, number)] == ["ended", "offered"]
    kinds = [e.kind for e in case.events]
    assert "mediation_deadline_missed" in kinds
    [told] = [p for row, p in await pushes(app, "escalation") if row.recipient == "supervisor"]
    assert number in told.text and "调解超过期限未结" in told.text
    assert (await sweep_deadlines(app.db, clock)) == SweepResult(0, 0)  # nothing twice
