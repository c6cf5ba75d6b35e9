"""First routing rule: trade committees for their trades, the administrative-dispute centre
for complaints against government, otherwise the village committee, else the town centre.

Issue 5 replaces this with rules as data (config/routing.yaml); the entry point stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Case, Mediator, Organization
from backend.statuses import OPEN_STATUSES

TRADE_OF_CATEGORY = {
    "traffic_accident": "traffic",
    "medical": "medical",
    "labour": "labour",
    "property_management": "property",
    "family_marriage": "family",
}
DEFAULT_RESPONSE_HOURS = 48


@dataclass(frozen=True)
class RoutingDecision:
    organization: Organization
    mediator: Mediator | None
    rule: str


async def _first(session: AsyncSession, **where: object) -> Organization | None:
    stmt = select(Organization).filter_by(active=True, **where).order_by(Organization.id)
    return (await session.scalars(stmt)).first()


async def choose_organization(
    session: AsyncSession, category: str, town_code: str | None, village_code: str | None
) -> tuple[Organization, str]:
    trade = TRADE_OF_CATEGORY.get(category)
    candidates: list[tuple[str, dict[str, object]]] = []
    if trade:
        candidates.append((f"trade:{trade}", {"kind": "trade_committee", "trade": trade}))
    if category == "administrative":
        candidates.append(("administrative", {"kind": "administrative_centre"}))
    if village_code:
        candidates.append(
            ("village", {"kind": "village_mediation_committee", "village_code": village_code})
        )
    if town_code:
        candidates.append(("town", {"kind": "town_mediation_centre", "town_code": town_code}))
    candidates.append(("county", {"kind": "county_mediation_centre"}))
    for rule, where in candidates:
        org = await _first(session, **where)
        if org is not None:
            return org, rule
    raise LookupError("no organisations loaded: run `jiefen orgs load config/organizations.yaml`")


async def choose_mediator(
    session: AsyncSession, organization: Organization, category: str
) -> Mediator | None:
    """On duty, skilled in the category if anyone is, then the fewest open cases."""
    open_cases = (
        select(func.count(Case.id))
        .where(Case.mediator_id == Mediator.id, Case.status.in_(list(OPEN_STATUSES)))
        .scalar_subquery()
    )
    stmt = (
        select(Mediator, open_cases)
        .where(
            Mediator.organization_id == organization.id,
            Mediator.active.is_(True),
            Mediator.on_duty.is_(True),
            Mediator.role.in_(["mediator", "admin", "judge"]),
        )
        .order_by(open_cases, Mediator.id)
    )
    rows = (await session.execute(stmt)).all()
    skilled = [m for m, _ in rows if category in (m.skills or [])]
    pool = skilled or [m for m, _ in rows]
    return pool[0] if pool else None


async def route_case(session: AsyncSession, case: Case) -> RoutingDecision:
    org, rule = await choose_organization(session, case.category, case.town_code, case.village_code)
    return RoutingDecision(org, await choose_mediator(session, org, case.category), rule)
