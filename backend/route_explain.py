"""Why a case goes where it goes: the stored facts run through the current rules, changing
nothing (for `jiefen route explain`, and for trying a rule change on real cases)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Case, Organization, Place, Resident
from backend.routing import facts_of, route_case
from backend.routing_rules import Reason, RoutingFacts, RoutingRules, Rule, Target


@dataclass(frozen=True)
class OrgLine:
    code: str
    name: str
    name_en: str
    kind: str
    tier: str


@dataclass(frozen=True)
class RouteExplanation:
    number: str
    facts: RoutingFacts
    changed: tuple[str, ...]  # the facts replaced for a what-if
    town_code: str | None
    village_code: str | None
    place_name: str  # "枫桥镇 陈家村", or "" when unknown
    stored_organization: OrgLine | None  # where the case was routed when it came in
    stored_rule: str | None
    rule: Rule
    reasons: tuple[Reason, ...]
    fell_back_from: Target | None
    organization: OrgLine
    mediator_code: str | None
    mediator_name: str | None


def _line(org: Organization) -> OrgLine:
    return OrgLine(org.code, org.name, org.name_en, org.kind, org.tier)


async def _place_name(session: AsyncSession, *codes: str | None) -> str:
    known = [c for c in codes if c]
    names = dict(
        (await session.execute(select(Place.code, Place.name).where(Place.code.in_(known)))).all()
    )
    return " ".join(names[c] for c in known if c in names)


async def explain_case(
    session: AsyncSession, number: str, rules: RoutingRules, **changes: Any
) -> RouteExplanation | None:
    """None when there is no such case. `changes` replace stored facts (RoutingFacts
    fields), so "what if the amount were 200000?" can be asked of a real case."""
    case = await session.scalar(select(Case).filter_by(number=number))
    if case is None:
        return None
    facts = replace(await facts_of(session, case), **changes)
    locale = await session.scalar(select(Resident.locale).filter_by(id=case.resident_id))
    decision = await route_case(session, case, rules, facts=facts, locale=locale or "zh")
    stored = await session.get(Organization, case.organization_id) if case.organization_id else None
    return RouteExplanation(
        number=case.number,
        facts=facts,
        changed=tuple(sorted(changes)),
        town_code=case.town_code,
        village_code=case.village_code,
        place_name=await _place_name(session, case.town_code, case.village_code),
        stored_organization=_line(stored) if stored else None,
        stored_rule=case.routing_rule,
        rule=rules.rule(decision.rule),
        reasons=decision.reasons,
        fell_back_from=decision.fell_back_from,
        organization=_line(decision.organization),
        mediator_code=decision.mediator.code if decision.mediator else None,
        mediator_name=decision.mediator.name if decision.mediator else None,
    )
