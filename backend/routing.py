"""Routing a case: the rules (config/routing.yaml, backend/routing_rules.py) name a kind of
body; this finds that body for the case's place, falling back up the tiers when it does not
exist, and chooses a mediator inside it.

Mediator choice: active, on duty, a role that takes cases (mediator, admin, judge; never a
grid worker or supervisor), not excluded (e.g. declined before); among those, skilled in the
category first, then speaking the resident's language, then the fewest open cases, then the
one who has waited longest since their last assignment (never assigned first), then by id.
So equal colleagues take turns, and nobody gets every case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import case as sa_case
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from backend.models import Case, Mediator, Organization, Party, Place
from backend.org_network import CASE_ROLES
from backend.routing_rules import Reason, RoutingFacts, RoutingRules, Target, evaluate
from backend.statuses import OPEN_STATUSES

TRADE_OF_CATEGORY = {
    "traffic_accident": "traffic",
    "medical": "medical",
    "labour": "labour",
    "property_management": "property",
    "family_marriage": "family",
}
DEFAULT_RESPONSE_HOURS = 48
CHOICE_MEDIATORS = 3
# CaseStore puts the rules loaded at start in every session's info under this key, so code
# that submits a case inside a session (the dialogue, a staff desk) routes by them.
RULES_KEY = "routing_rules"
_NEVER = datetime.min  # sorts a mediator never assigned before everyone else


@dataclass(frozen=True)
class RoutingDecision:
    organization: Organization
    mediator: Mediator | None
    rule: str
    reasons: tuple[Reason, ...] = ()
    # The kind the rule asked for, when that body does not exist and a higher one took over.
    fell_back_from: Target | None = None


class Choice(NamedTuple):
    """One line of the short list a resident may pick from instead of the routing."""

    kind: str  # "mediator", "liaison_judge", or an organisation kind
    code: str
    name: str


def rules_for(session: AsyncSession, rules: RoutingRules | None = None) -> RoutingRules:
    """`rules` if given, else the rules the session was opened with (see RULES_KEY)."""
    found = rules or session.info.get(RULES_KEY)
    if not isinstance(found, RoutingRules):
        raise LookupError("no routing rules: hand them to CaseStore (jiefen.app loads them)")
    return found


async def _one(session: AsyncSession, **where: object) -> Organization | None:
    stmt = select(Organization).filter_by(active=True, **where).order_by(Organization.id)
    return (await session.scalars(stmt)).first()


async def county_centre(session: AsyncSession) -> Organization:
    org = await _one(session, kind="county_mediation_centre")
    if org is None:
        raise LookupError(
            "no organisations loaded: run `jiefen orgs load config/organizations.yaml`"
        )
    return org


async def tribunal_for_town(session: AsyncSession, town_code: str) -> Organization | None:
    stmt = select(Organization).filter_by(active=True, kind="court_tribunal")
    return next(
        (o for o in await session.scalars(stmt.order_by(Organization.id)) if town_code in o.covers),
        None,
    )


async def find_target(
    session: AsyncSession, target: Target, town_code: str | None, village_code: str | None
) -> Organization:
    """The body of `target`'s kind for the place; else up the tiers: village committee ->
    town centre -> county centre, and any county-tier body -> the county centre."""
    kind, found = target.kind, None
    if kind == "village_mediation_committee" and village_code:
        found = await _one(session, kind=kind, village_code=village_code)
    elif kind == "trade_committee":
        found = await _one(session, kind=kind, trade=target.trade)
    elif kind == "administrative_centre":
        found = await _one(session, kind=kind)
    elif kind == "court_tribunal" and town_code:
        found = await tribunal_for_town(session, town_code)
    local = ("village_mediation_committee", "town_mediation_centre")
    if found is None and kind in local and town_code:
        found = await _one(session, kind="town_mediation_centre", town_code=town_code)
    return found or await county_centre(session)


def _speaks(mediator: Mediator, locale: str) -> bool:
    return any(lang == locale or lang.startswith(f"{locale}-") for lang in mediator.languages or ())


async def ranked_mediators(
    session: AsyncSession,
    organization: Organization,
    category: str,
    *,
    locale: str = "zh",
    exclude: Collection[int] = (),
) -> list[Mediator]:
    """Everyone in `organization` who may take the case now, best first (see module doc)."""
    open_cases = (
        select(func.count(Case.id))
        .where(Case.mediator_id == Mediator.id, Case.status.in_(sorted(OPEN_STATUSES)))
        .scalar_subquery()
    )
    stmt = select(Mediator, open_cases).where(
        Mediator.organization_id == organization.id,
        Mediator.active.is_(True),
        Mediator.on_duty.is_(True),
        Mediator.role.in_(CASE_ROLES),
    )
    if exclude:
        stmt = stmt.where(Mediator.id.not_in(list(exclude)))
    rows = (await session.execute(stmt)).all()

    def rank(row: tuple[Mediator, int]) -> tuple[bool, bool, int, datetime, int]:
        m, load = row
        last = m.last_assigned_at
        waited = last.astimezone(UTC).replace(tzinfo=None) if last else _NEVER
        return (category not in (m.skills or ()), not _speaks(m, locale), load, waited, m.id)

    return [m for m, _ in sorted(rows, key=rank)]


async def choose_mediator(
    session: AsyncSession,
    organization: Organization,
    category: str,
    *,
    locale: str = "zh",
    exclude: Collection[int] = (),
) -> Mediator | None:
    """The mediator to offer the case to, or None when nobody there can take it now."""
    ranked = await ranked_mediators(session, organization, category, locale=locale, exclude=exclude)
    return ranked[0] if ranked else None


async def _free_turn(
    session: AsyncSession, ranked: list[Mediator], category: str, locale: str
) -> tuple[Mediator | None, bool]:
    """The best-ranked mediator no other filing is giving a case to right now. Taking a turn
    locks the mediator's row until the commit: on PostgreSQL a filing passes over a row that
    another one holds (FOR NO KEY UPDATE SKIP LOCKED) for the next as suitable (same skill and
    language), instead of queueing behind it and then giving the same person a second case.
    When all of them are held it is the first of the ranking, and False says its row is not
    ours; on SQLite (one writer at a time) it is always the first of the ranking."""
    if not ranked or session.get_bind().dialect.name != "postgresql":
        return (ranked[0] if ranked else None), True
    best = ranked[0]
    peers = [
        m
        for m in ranked
        if (category in (m.skills or ()), _speaks(m, locale))
        == (category in (best.skills or ()), _speaks(best, locale))
    ]
    order = {m.id: position for position, m in enumerate(peers)}
    free = await session.scalar(
        select(Mediator.id)
        .where(Mediator.id.in_(list(order)))
        .order_by(sa_case(order, value=Mediator.id))
        .limit(1)
        .with_for_update(skip_locked=True, key_share=True)  # NO KEY UPDATE: as the UPDATE does
    )
    return next(((m, True) for m in peers if m.id == free), (best, False))


async def escalation_target(
    session: AsyncSession, organization: Organization
) -> Organization | None:
    """One tier up: village committee -> its town centre -> the county centre; a trade
    committee, the administrative centre or a tribunal -> the county centre; the county
    centre -> None. An inactive parent is skipped."""
    if organization.kind == "county_mediation_centre":
        return None
    parent_id = organization.parent_id
    while parent_id is not None:
        parent = await session.get(Organization, parent_id)
        if parent is None:
            break
        if parent.active:
            return parent
        parent_id = parent.parent_id
    return await _one(session, kind="county_mediation_centre")


async def liaison_judge(session: AsyncSession, village_code: str) -> Mediator | None:
    """The village's liaison judge (for court bookings), if set and still active."""
    code = await session.scalar(select(Place.liaison_judge_code).filter_by(code=village_code))
    if not code:
        return None
    return await session.scalar(select(Mediator).filter_by(code=code, active=True))


async def facts_of(session: AsyncSession, case: Case) -> RoutingFacts:
    """The facts the rules look at, from a stored (or just flushed) case."""
    role = await session.scalar(
        select(Party.role).where(Party.case_id == case.id, Party.side == "respondent")
    )
    return RoutingFacts(
        category=case.category,
        risk_level=case.risk_level or "none",
        amount_yuan=case.amount_yuan,
        group_size=case.group_size,
        other_party_role=role,
        scope=case.scope,
        wish=case.wish or "mediation",
    )


async def route_case(
    session: AsyncSession,
    case: Case,
    rules: RoutingRules,
    *,
    at: datetime | None = None,
    locale: str = "zh",
    facts: RoutingFacts | None = None,
) -> RoutingDecision:
    """The organisation and mediator for `case` by the first matching rule. With `at`, the
    chosen mediator's turn is taken (last_assigned_at); without, nothing changes (what-if)."""
    match = evaluate(rules, facts or await facts_of(session, case))
    target = match.rule.route_to
    org = await find_target(session, target, case.town_code, case.village_code)
    if at is None:
        mediator = await choose_mediator(session, org, case.category, locale=locale)
    else:
        ranked = await ranked_mediators(session, org, case.category, locale=locale)
        mediator, free = await _free_turn(session, ranked, case.category, locale)
        if mediator is not None and free:
            mediator.last_assigned_at = at
        elif mediator is not None:
            # Everyone as suitable is being given a case by another filing this very moment,
            # which records the turn when it commits; writing it here too would only wait for
            # that commit. Taken as already stored, so the offer writes nothing either.
            set_committed_value(mediator, "last_assigned_at", at)
    exact = org.kind == target.kind and (target.trade is None or org.trade == target.trade)
    return RoutingDecision(org, mediator, match.rule.id, match.reasons, None if exact else target)


async def choice_list(session: AsyncSession, case: Case, *, locale: str = "zh") -> list[Choice]:
    """A short list for a resident who would rather pick: up to three mediators of the body
    the case is routed to, then the other bodies that could take it (the village committee,
    the town centre, the trade committee of its category, the liaison judge of the village)."""
    choices: list[Choice] = []
    routed = await session.get(Organization, case.organization_id) if case.organization_id else None
    if routed is not None:
        people = await ranked_mediators(session, routed, case.category, locale=locale)
        choices += [Choice("mediator", m.code, m.name) for m in people[:CHOICE_MEDIATORS]]
    bodies = [
        await _one(session, kind="village_mediation_committee", village_code=case.village_code)
        if case.village_code
        else None,
        await _one(session, kind="town_mediation_centre", town_code=case.town_code)
        if case.town_code
        else None,
        await _one(session, kind="trade_committee", trade=trade)
        if (trade := TRADE_OF_CATEGORY.get(case.category))
        else None,
    ]
    seen = {routed.id} if routed is not None else set()
    for org in bodies:
        if org is not None and org.id not in seen:
            seen.add(org.id)
            choices.append(Choice(org.kind, org.code, org.name))
    judge = await liaison_judge(session, case.village_code) if case.village_code else None
    if judge is not None and all(c.code != judge.code for c in choices):
        choices.append(Choice("liaison_judge", judge.code, judge.name))
    elif judge is None and case.town_code:  # no village known: the town's tribunal itself
        tribunal = await tribunal_for_town(session, case.town_code)
        if tribunal is not None and tribunal.id not in seen:
            choices.append(Choice(tribunal.kind, tribunal.code, tribunal.name))
    return choices
