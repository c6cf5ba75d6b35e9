"""Explaining a stored case's routing by the current rules, and asking "what if"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from backend import residents
from backend.cases import submit_case
from backend.models import Case, Mediator
from backend.records import CaseDraft
from backend.route_explain import explain_case
from backend.routing_rules import Reason, Target

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WORKERS = CaseDraft(
    description="我们30个工人被拖欠工资",
    category="labour",
    town_code="fengqiao",
    village_code="fengqiao.chenjia",
    other_party="厂里老板",
    other_party_role="employer",
    amount_yuan=600_000,
    group_size=30,
    scope="village",
    wish="mediation",
)


async def _submit(app, draft: CaseDraft) -> str:
    async with app.db.sessions() as session, session.begin():
        resident = await residents.resident_for(session, "console", "r1", at=T0, locale="zh")
        receipt = await submit_case(
            session, resident, draft, channel="console", at=T0, rules=app.store.rules
        )
    return receipt.number


async def test_explains_the_rule_and_changes_nothing(app) -> None:
    number = await _submit(app, WORKERS)
    async with app.db.sessions() as session:
        before = [(m.code, m.last_assigned_at) for m in await session.scalars(select(Mediator))]
        e = await explain_case(session, number, app.store.rules)
        after = [(m.code, m.last_assigned_at) for m in await session.scalars(select(Mediator))]
    assert e is not None and before == after
    assert (e.rule.id, e.organization.code, e.organization.tier) == (
        "group_labour",
        "labour_committee",
        "county",
    )
    assert e.reasons == (
        Reason("category", "labour", ("labour",)),
        Reason("min_group_size", 30, 10),
    )
    assert e.stored_rule == "group_labour" and e.stored_organization.code == "labour_committee"
    facts = e.facts
    assert (facts.group_size, facts.other_party_role, facts.scope) == (30, "employer", "village")
    assert e.changed == () and e.fell_back_from is None and e.mediator_code is not None
    assert "群体性劳动争议" in e.rule.description


async def test_what_if_with_other_facts(app) -> None:
    number = await _submit(app, WORKERS)
    async with app.db.sessions() as session:
        court = await explain_case(session, number, app.store.rules, wish="court")
        alone = await explain_case(session, number, app.store.rules, group_size=1)
        elsewhere = await explain_case(
            session, number, app.store.rules, category="land", other_party_role=None
        )
        stored = await session.scalar(select(Case).filter_by(number=number))
    assert (court.rule.id, court.organization.code) == ("wants_court", "fengqiao_tribunal")
    assert court.changed == ("wish",)
    assert (alone.rule.id, alone.organization.code) == ("labour", "labour_committee")
    assert (elsewhere.rule.id, elsewhere.organization.code) == ("large_amount", "fengqiao.centre")
    assert stored is not None and stored.wish == "mediation"  # the case itself is as it was


async def test_a_fall_back_is_explained(app) -> None:
    draft = CaseDraft(description="邻居占了我的地", category="land")  # no place at all
    number = await _submit(app, draft)
    async with app.db.sessions() as session:
        e = await explain_case(session, number, app.store.rules)
    assert (e.rule.id, e.organization.code) == ("default", "county_centre")
    assert e.fell_back_from == Target("village_mediation_committee")


async def test_no_such_case(app) -> None:
    async with app.db.sessions() as session:
        assert await explain_case(session, "2026-999999", app.store.rules) is None


def test_the_rules_are_the_shipped_ones(app) -> None:
    assert app.store.rules.source == "routing.yaml"
    assert app.settings.routing_path == Path(app.settings.config_dir) / "routing.yaml"
