"""Writing a validated organisation network into the case store, idempotently.

Rows are matched by code: new ones are added, existing ones updated, and organisations or
mediators no longer in the file are deactivated (never deleted: old cases point at them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Mediator, Organization, Place
from backend.org_network import OrgNetwork, load_network


class _Upserter:
    """Reads each table once, then adds or updates rows by code."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.existing: dict[type[Any], dict[str, Any]] = {}

    async def __call__(self, model: type[Any], code: str, **values: Any) -> Any:
        if model not in self.existing:
            rows = await self.session.scalars(select(model))
            self.existing[model] = {row.code: row for row in rows}
        row = self.existing[model].get(code)
        if row is None:
            row = self.existing[model][code] = model(code=code, **values)
            self.session.add(row)
        else:
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
        return row


async def sync_network(session: AsyncSession, network: OrgNetwork) -> dict[str, int]:
    upsert = _Upserter(session)
    for town in network.towns:
        await upsert(
            Place,
            town.code,
            name=town.name,
            name_en=town.name_en,
            kind=town.kind,
            parent_code=None,
            aliases=list(town.aliases),
            liaison_judge_code=None,
        )
    for village in network.villages:
        await upsert(
            Place,
            village.code,
            name=village.name,
            name_en=village.name_en,
            kind=village.kind,
            parent_code=village.town_code,
            aliases=list(village.aliases),
            liaison_judge_code=village.liaison_judge_code,
        )
    orgs: dict[str, Organization] = {}
    for org in network.organizations:
        orgs[org.code] = await upsert(
            Organization,
            org.code,
            name=org.name,
            name_en=org.name_en,
            kind=org.kind,
            tier=org.tier,
            town_code=org.town_code,
            village_code=org.village_code,
            trade=org.trade,
            covers=list(org.covers),
            response_deadline_hours=org.response_hours or network.county.response_hours,
            mediation_deadline_days=org.mediation_days or network.county.mediation_days,
            active=True,
        )
    await session.flush()
    for org in network.organizations:
        parent = orgs.get(org.parent_code) if org.parent_code else None
        orgs[org.code].parent_id = parent.id if parent else None
    for mediator in network.mediators:
        await upsert(
            Mediator,
            mediator.code,
            name=mediator.name,
            organization_id=orgs[mediator.organization_code].id,
            role=mediator.role,
            skills=list(mediator.skills),
            languages=list(mediator.languages),
            on_duty=mediator.on_duty,
            phone=mediator.phone,
            office_hours=[h.as_dict() for h in mediator.office_hours],
            active=True,
        )
    retired = 0
    for model, codes in (
        (Organization, set(orgs)),
        (Mediator, {m.code for m in network.mediators}),
    ):
        for row in await session.scalars(select(model).where(model.active.is_(True))):
            if row.code not in codes:
                row.active = False
                retired += 1
    await session.flush()
    return {
        "places": len(network.towns) + len(network.villages),
        "organizations": len(network.organizations),
        "mediators": len(network.mediators),
        "deactivated": retired,
    }


async def load_organizations_if_empty(session: AsyncSession, path: Path) -> bool:
    """A fresh database gets the configured network, so the bot works on first start."""
    if await session.scalar(select(func.count(Organization.id))):
        return False
    await sync_network(session, load_network(path))
    return True
