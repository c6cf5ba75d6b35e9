"""A resident may pick who handles their case from a short list, as patients choose a doctor's
department: a named mediator of the body the case went to, another body that could take it,
or the village's liaison judge. Only while nobody has accepted the case yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import assignments, lifecycle
from backend.assignments import WAITING
from backend.models import Case, Mediator, Organization, Resident
from backend.resident_records import CaseUnavailable, HandlerChoice
from backend.routing import choice_list, choose_mediator

MEDIATOR_KINDS = ("mediator", "liaison_judge")


async def _waiting_case(session: AsyncSession, resident_id: int, number: str) -> Case:
    case = await session.scalar(
        select(Case)
        .where(Case.number == number.strip(), Case.resident_id == resident_id)
        .with_for_update()
    )
    if case is None:
        raise CaseUnavailable("not_found")
    if case.status not in WAITING:
        raise CaseUnavailable("already_taken")
    return case


async def choices(session: AsyncSession, resident_id: int, number: str) -> list[HandlerChoice]:
    case = await _waiting_case(session, resident_id, number)
    resident = await session.get(Resident, resident_id)
    listed = await choice_list(session, case, locale=resident.locale if resident else "zh")
    return [HandlerChoice(c.code, c.name, c.kind) for c in listed]


async def choose(
    session: AsyncSession, resident_id: int, number: str, code: str, *, at: datetime
) -> HandlerChoice:
    """Offers the case to the chosen mediator or body instead; refuses codes not on the list."""
    case = await _waiting_case(session, resident_id, number)
    resident = await session.get(Resident, resident_id)
    locale = resident.locale if resident else "zh"
    picked = next(
        (c for c in await choice_list(session, case, locale=locale) if c.code == code), None
    )
    if picked is None:
        raise CaseUnavailable("not_on_list")
    if picked.kind in MEDIATOR_KINDS:
        mediator = await session.scalar(select(Mediator).filter_by(code=code, active=True))
        assert mediator is not None
        org = await session.get(Organization, mediator.organization_id)
    else:
        org = await session.scalar(select(Organization).filter_by(code=code, active=True))
        mediator = (
            await choose_mediator(session, org, case.category, locale=locale) if org else None
        )
    assert org is not None
    current = await assignments.current_offer(session, case)
    if current is not None:
        assignments.end_offer(current, at=at, reason="resident_chose")
    lifecycle.record_event(
        session,
        case,
        "resident_chose",
        at=at,
        actor_kind="resident",
        actor_id=resident_id,
        data={"chosen": code, "kind": picked.kind},
    )
    await assignments.offer(session, case, org, mediator, at=at, chosen_by_resident=True)
    return HandlerChoice(picked.code, picked.name, picked.kind)
