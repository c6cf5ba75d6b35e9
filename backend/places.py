"""The county's places as stored by `jiefen orgs load`: the gazetteer's source."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Place
from backend.records import PlaceRecord

TOWN_KINDS = frozenset({"town", "street"})


async def list_places(session: AsyncSession) -> list[PlaceRecord]:
    rows = await session.scalars(select(Place).order_by(Place.id))
    return [
        PlaceRecord(
            code=p.code,
            name=p.name,
            name_en=p.name_en,
            kind="town" if p.kind in TOWN_KINDS else "village",
            parent_code=p.parent_code,
            aliases=tuple(p.aliases or ()),
        )
        for p in rows
    ]
