"""What an assignment push tells a mediator before they accept: personal data minimised.

Only the applicant's name, the category, the place (town and village, never the address), a
short masked description and the risk. The phone, the address and the other party's name
are shown only once the mediator has accepted the case (backend/staff_desk.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.masking import masked_preview
from backend.models import Case, Organization, Place, Resident

SUMMARY_CHARS = 60
UNNAMED = "push.applicant_unnamed"  # catalogue key: a resident who reported without a name


async def place_name(session: AsyncSession, case: Case, org: Organization) -> str:
    """"枫桥镇 陈家村" from the stored place codes; the organisation's name if none is known."""
    codes = [c for c in (case.town_code, case.village_code) if c]
    names = dict(
        (await session.execute(select(Place.code, Place.name).where(Place.code.in_(codes)))).all()
    )
    return " ".join(names[c] for c in codes if c in names) or org.name


async def offer_params(
    session: AsyncSession, case: Case, org: Organization
) -> tuple[dict[str, Any], list[str]]:
    """The push parameters, and which of them are catalogue keys to translate."""
    resident = await session.get(Resident, case.resident_id)
    name = resident.display_name if resident is not None else None
    params = {
        "number": case.number,
        "name": name or UNNAMED,
        "category": case.category,
        "place": await place_name(session, case, org),
        "organization": org.name,
        "summary": masked_preview(case.description, SUMMARY_CHARS),
        "risk": case.risk_level,
    }
    return params, ([] if name else ["name"])
