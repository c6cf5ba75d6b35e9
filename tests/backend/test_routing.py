"""Routing against the demo county in a real database: the body for a case, the fall-back up
the tiers, the mediator chosen (fairly), escalation, liaison judges and the resident's list."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from backend.cases import submit_case
from backend.db import Database, open_database
from backend.models import Case, Mediator, Organization, Party, Resident
from backend.org_network import OrgNetwork, load_network
from backend.org_sync import sync_network
from backend.records import CaseDraft
from backend.routing import (
    Choice,
    choice_list,
    choose_mediator,
    escalation_target,
    find_target,
    liaison_judge,
    route_case,
    rules_for,
)
from backend.routing_rules import RoutingRules, Target, load_rules
from backend.statuses import CaseStatus
from nlu.entities.parties import parse_party_role
from tests.conftest import TEST_KEY

CONFIG = Path(__file__).resolve().parents[2] / "config"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def network() -> OrgNetwork:
    return load_network(CONFIG / "organizations.yaml")


@pytest.fixture(scope="module")
def rules() -> RoutingRules:
    return load_rules(CONFIG / "routing.yaml")


@pytest.fixture
async def db(database_url: str, tmp_path: Path, network: OrgNetwork) -> AsyncIterator[Database]:
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    async with database.sessions() as session, session.begin():
        await sync_network(session, network)
    yield database
    await database.dispose()


async def _resident(session: AsyncSession, locale: str = "zh") -> Resident:
    resident = Resident(created_at=T0, locale=locale)
    session.add(resident)
    await session.flush()
    return resident


_numbers = iter(range(1, 1_000_000))


async def _case(
    session: AsyncSession,
    resident: Resident,
    category: str,
    *,
    town: str | None = None,
    village: str | None = None,
    role: str | None = None,
    **facts: object,
) -> Case:
    case = Case(
        number=f"2026-{next(_numbers):06d}",
        category=category,
        description="测试用的纠纷",
        channel="console",
        resident_id=resident.id,
        town_code=town,
        village_code=village,
        **facts,
    )
    case.parties = [Party(side="applicant", role="resident"), Party(side="respondent", role=role)]
    lifecycle.open_case(session, case, at=T0, actor_kind="resident", actor_id=resident.id)
    await session.flush()
    return case


async def _route(
    session: AsyncSession, case: Case, rules: RoutingRules, at: datetime, **kw: object
) -> str | None:
    """Routes and records it as submit_case does; returns the mediator's code."""
    decision = await route_case(session, case, rules, at=at, **kw)  # type: ignore[arg-type]
    case.organization_id, case.tier = decision.organization.id, decision.organization.tier
    case.mediator_id = decision.mediator.id if decision.mediator else None
    lifecycle.change_status(session, case, CaseStatus.ROUTED, at=at, actor_kind="system")
    await session.flush()
    return decision.mediator.code if decision.mediator else None


async def _org(session: AsyncSession, code: str) -> Organization:
    org = await session.scalar(select(Organization).filter_by(code=code))
    assert org is not None, code
    return org


async def _ids(session: AsyncSession, *codes: str) -> list[int]:
    rows = await session.scalars(select(Mediator.id).where(Mediator.code.in_(codes)))
    return list(rows)


# --- the scenarios -------------------------------------------------------------------


async def test_a_group_labour_dispute_of_30_workers_goes_to_the_labour_committee(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        case = await _case(
            session, resident, "labour", town="fengqiao", village="fengqiao.chenjia",
            role="employer", group_size=30, amount_yuan=600_000,
        )
        decision = await route_case(session, case, rules, at=T0)
    assert decision.rule == "group_labour"
    org = decision.organization
    assert (org.code, org.tier) == ("labour_committee", "county")
    assert decision.mediator is not None and decision.mediator.code in ("m_zhang_01", "m_sun_01")
    assert decision.fell_back_from is None
    assert [r.condition for r in decision.reasons] == ["category", "min_group_size"]


async def test_a_complaint_against_the_town_government_goes_to_the_administrative_centre(
    db: Database, rules: RoutingRules
) -> None:
    role = parse_party_role("枫桥镇政府")
    assert role == "government"
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        case = await _case(
            session, resident, "environment", town="fengqiao", village="fengqiao.fengyuan",
            role=role,
        )
        decision = await route_case(session, case, rules, at=T0)
    assert (decision.rule, decision.organization.code) == ("against_government", "admin_centre")
    assert decision.mediator is not None and decision.mediator.code == "m_luo_02"  # environment


async def test_submit_case_stores_the_facts_and_the_rule(db: Database, rules: RoutingRules) -> None:
    draft = CaseDraft(
        description="我们30个工人被拖欠工资",
        category="labour",
        town_code="fengqiao",
        village_code="fengqiao.chenjia",
        other_party="厂里老板",
        other_party_role="employer",
        amount_yuan=600_000,
        phone="13900001111",
        group_size=30,
        scope="village",
        wish="mediation",
    )
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        receipt = await submit_case(
            session, resident, draft, channel="console", at=T0, rules=rules
        )
    async with db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=receipt.number))
        assert case is not None
        org = await session.get(Organization, case.organization_id)
    assert (case.group_size, case.scope, case.wish) == (30, "village", "mediation")
    assert case.routing_rule == "group_labour" and case.tier == "county"
    assert org is not None and org.code == "labour_committee"


async def test_rules_come_from_the_argument_or_the_session(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session:
        with pytest.raises(LookupError, match="no routing rules"):
            rules_for(session)
        assert rules_for(session, rules) is rules
        session.info["routing_rules"] = rules
        assert rules_for(session) is rules


# --- the body: the rule's kind for the place, else up the tiers ------------------------------


@pytest.mark.parametrize(
    ("target", "town", "village", "expected"),
    [
        (Target("village_mediation_committee"), "fengqiao", "fengqiao.chenjia",
         "fengqiao.chenjia.committee"),
        (Target("village_mediation_committee"), "fengqiao", None, "fengqiao.centre"),
        (Target("village_mediation_committee"), None, None, "county_centre"),
        (Target("town_mediation_centre"), "diankou", "diankou.hudong", "diankou.centre"),
        (Target("town_mediation_centre"), None, None, "county_centre"),
        (Target("county_mediation_centre"), "diankou", "diankou.hudong", "county_centre"),
        (Target("trade_committee", "medical"), "fengqiao", None, "medical_committee"),
        (Target("administrative_centre"), None, None, "admin_centre"),
        (Target("court_tribunal"), "fengqiao", "fengqiao.chenjia", "fengqiao_tribunal"),
        (Target("court_tribunal"), "ciwu", None, "diankou_tribunal"),
        (Target("court_tribunal"), None, None, "county_centre"),
    ],
)
async def test_the_body_for_the_place(
    db: Database, target: Target, town: str | None, village: str | None, expected: str
) -> None:
    async with db.sessions() as session:
        assert (await find_target(session, target, town, village)).code == expected


async def test_a_missing_body_falls_back_to_the_county_centre_and_says_so(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Organization)
            .where(Organization.code.in_(["family_committee", "admin_centre"]))
            .values(active=False)
        )
        resident = await _resident(session)
        family = await _case(session, resident, "family_marriage", town="paitou")
        decision = await route_case(session, family, rules)
        assert decision.organization.code == "county_centre"
        assert decision.fell_back_from == Target("trade_committee", "family")
        admin = await _case(session, resident, "administrative", town="paitou")
        assert (await route_case(session, admin, rules)).organization.code == "county_centre"
        nowhere = await _case(session, resident, "neighbour")
        decision = await route_case(session, nowhere, rules)
        assert decision.organization.code == "county_centre" and decision.rule == "default"
        assert decision.fell_back_from == Target("village_mediation_committee")


# --- the mediator ----------------------------------------------------------------------------

TRAFFIC_TEAM = ("m_li_01", "m_jiang_01", "m_jin_01")  # equally skilled, all on duty


async def test_thirty_cases_are_shared_equally_while_they_stay_open(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        chosen = [
            await _route(
                session,
                await _case(session, resident, "traffic_accident", town="datang"),
                rules,
                T0 + timedelta(minutes=i),
            )
            for i in range(30)
        ]
    assert Counter(chosen) == dict.fromkeys(TRAFFIC_TEAM, 10)


async def test_turns_rotate_when_cases_close_as_fast_as_they_come(
    db: Database, rules: RoutingRules
) -> None:
    """Nobody ever has an open case here, so only the waiting time decides: in turn."""
    chosen = []
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        for i in range(30):
            at = T0 + timedelta(minutes=i)
            case = await _case(session, resident, "traffic_accident", town="datang")
            chosen.append(await _route(session, case, rules, at))
            for status in (CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION, CaseStatus.RESOLVED):
                lifecycle.change_status(session, case, status, at=at, actor_kind="system")
        await session.flush()
    assert Counter(chosen) == dict.fromkeys(TRAFFIC_TEAM, 10)
    assert all(a != b for a, b in pairwise(chosen))
    assert len(set(chosen[:3])) == 3 and chosen[3:6] == chosen[:3]


async def test_an_excluded_mediator_is_never_chosen(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        org = await _org(session, "traffic_committee")
        excluded = await _ids(session, "m_jiang_01")
        picks = Counter()
        for i in range(30):
            person = await choose_mediator(session, org, "traffic_accident", exclude=excluded)
            assert person is not None
            person.last_assigned_at = T0 + timedelta(minutes=i)
            picks[person.code] += 1
        assert picks == {"m_li_01": 15, "m_jin_01": 15}
        everyone = await _ids(session, *TRAFFIC_TEAM)
        assert await choose_mediator(session, org, "traffic_accident", exclude=everyone) is None


async def test_off_duty_grid_workers_and_supervisors_never_take_cases(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        labour = await _org(session, "labour_committee")
        for _ in range(5):  # m_yu_01 is off duty
            person = await choose_mediator(session, labour, "labour")
            assert person is not None and person.code != "m_yu_01"
            person.last_assigned_at = T0
        wayi = await _org(session, "datang.wayi.committee")  # a mediator and a grid worker
        await session.execute(update(Mediator).filter_by(code="m_chen_02").values(on_duty=False))
        assert await choose_mediator(session, wayi, "neighbour") is None
        county = await _org(session, "county_centre")  # three who mediate and a supervisor
        await session.execute(
            update(Mediator)
            .where(Mediator.code.in_(["m_si_01", "m_luo_01", "m_zhou_01"]))
            .values(on_duty=False)
        )
        assert await choose_mediator(session, county, "neighbour") is None


async def test_skill_first_then_the_residents_language(db: Database) -> None:
    async with db.sessions() as session:
        medical = await _org(session, "medical_committee")  # m_xu_01 zh; m_huang_01 zh, en
        assert (await choose_mediator(session, medical, "medical")).code == "m_xu_01"
        assert (await choose_mediator(session, medical, "medical", locale="en")).code == (
            "m_huang_01"
        )
        county = await _org(session, "county_centre")
        # Only m_luo_01 knows consumer disputes; she speaks no English, but skill comes first.
        assert (await choose_mediator(session, county, "consumer", locale="en")).code == (
            "m_luo_01"
        )
        # Construction is m_zhou_01's; nobody knows traffic, so English decides among all.
        assert (await choose_mediator(session, county, "construction")).code == "m_zhou_01"
        en = await choose_mediator(session, county, "traffic_accident", locale="en")
        assert en is not None and "en" in en.languages


async def test_fewest_open_cases_before_the_longest_wait(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        org = await _org(session, "medical_committee")
        first = await _route(session, await _case(session, resident, "medical"), rules, T0)
        assert first == "m_xu_01"
        # m_huang_01 has waited longer (never), but either way m_xu_01 now has one open case.
        assert (await choose_mediator(session, org, "medical")).code == "m_huang_01"


async def test_route_case_takes_the_turn_only_when_told_the_time(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        case = await _case(session, resident, "medical")
        what_if = await route_case(session, case, rules)
        assert what_if.mediator is not None and what_if.mediator.last_assigned_at is None
        decision = await route_case(session, case, rules, at=T0)
        assert decision.mediator is not None and decision.mediator.last_assigned_at == T0


@pytest.mark.postgres
async def test_two_filings_at_once_go_to_two_people_without_waiting(
    pg_server_url: str, tmp_path: Path, network: OrgNetwork, rules: RoutingRules
) -> None:
    """The first filing holds its mediator's row until it commits; the second passes over it
    to the next as suitable instead of queueing behind it (and doubling that person's load)."""
    from tests.conftest import truncate_all

    await truncate_all(pg_server_url)
    database = open_database(pg_server_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with database.sessions() as session, session.begin():
            await sync_network(session, network)
        async with database.sessions() as first, first.begin():
            case = await _case(first, await _resident(first), "medical")
            taken = await _route(first, case, rules, T0)
            async with database.sessions() as second, second.begin():
                case = await _case(second, await _resident(second), "medical")
                other = await asyncio.wait_for(_route(second, case, rules, T0), 10)
                async with database.sessions() as third, third.begin():  # both are held now
                    case = await _case(third, await _resident(third), "medical")
                    again = await asyncio.wait_for(_route(third, case, rules, T0), 10)
        assert {taken, other} == {"m_xu_01", "m_huang_01"}
        assert again == "m_xu_01"  # the first of the ranking, without waiting for the others
        async with database.sessions() as session:
            turns = await session.scalars(select(Mediator.last_assigned_at).where(
                Mediator.code.in_(["m_xu_01", "m_huang_01"])))
            assert list(turns) == [T0, T0]
    finally:
        await database.dispose()


# --- escalation, liaison judges, the resident's short list -----------------------------------


@pytest.mark.parametrize(
    ("code", "above"),
    [
        ("fengqiao.chenjia.committee", "fengqiao.centre"),
        ("fengqiao.centre", "county_centre"),
        ("labour_committee", "county_centre"),
        ("admin_centre", "county_centre"),
        ("diankou_tribunal", "county_centre"),
        ("county_centre", None),
    ],
)
async def test_escalation_goes_one_tier_up(db: Database, code: str, above: str | None) -> None:
    async with db.sessions() as session:
        upper = await escalation_target(session, await _org(session, code))
    assert (upper.code if upper else None) == above


async def test_escalation_skips_an_inactive_town_centre(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Organization).filter_by(code="fengqiao.centre").values(active=False)
        )
        upper = await escalation_target(session, await _org(session, "fengqiao.chenjia.committee"))
    assert upper is not None and upper.code == "county_centre"


async def test_the_liaison_judge_of_a_village(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        judge = await liaison_judge(session, "fengqiao.chenjia")
        assert judge is not None and (judge.code, judge.role) == ("judge_wang", "judge")
        assert await liaison_judge(session, "fengqiao.nowhere") is None
        await session.execute(update(Mediator).filter_by(code="judge_wang").values(active=False))
        assert await liaison_judge(session, "fengqiao.chenjia") is None


async def test_the_short_list_a_resident_may_pick_from(
    db: Database, rules: RoutingRules
) -> None:
    async with db.sessions() as session, session.begin():
        resident = await _resident(session)
        neighbour = await _case(
            session, resident, "neighbour", town="fengqiao", village="fengqiao.chenjia"
        )
        await _route(session, neighbour, rules, T0)
        choices = await choice_list(session, neighbour)
        assert [c.kind for c in choices] == [
            "mediator",
            "mediator",
            "town_mediation_centre",
            "liaison_judge",
        ]
        # m_zhou_03 knows neighbour disputes (and was just given this one); then m_luo_03.
        assert [c.code for c in choices[:2]] == ["m_zhou_03", "m_luo_03"]
        assert choices[2:] == [
            Choice("town_mediation_centre", "fengqiao.centre", "枫桥镇人民调解中心"),
            Choice("liaison_judge", "judge_wang", "王秀英"),
        ]
        labour = await _case(
            session, resident, "labour", town="fengqiao", village="fengqiao.chenjia",
            group_size=30,
        )
        await _route(session, labour, rules, T0)
        assert [(c.kind, c.code) for c in await choice_list(session, labour)] == [
            ("mediator", "m_sun_01"),
            ("mediator", "m_zhang_01"),
            ("village_mediation_committee", "fengqiao.chenjia.committee"),
            ("town_mediation_centre", "fengqiao.centre"),
            ("liaison_judge", "judge_wang"),
        ]
        town_only = await _case(session, resident, "traffic_accident", town="ciwu")
        await _route(session, town_only, rules, T0)
        kinds = [(c.kind, c.code) for c in await choice_list(session, town_only)]
        assert kinds[-2:] == [
            ("town_mediation_centre", "ciwu.centre"),
            ("court_tribunal", "diankou_tribunal"),
        ]
        assert [k for k, _ in kinds[:-2]] == ["mediator"] * 3
