"""Risk alerts: a dispute that may turn violent reaches people who can act today.

The alert goes in the same transaction as the message that revealed the danger, to the
on-duty mediators and administrators of the resident's town centre (the county centre when
the town is not known yet), and again with the case number once the report is filed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.masking import mask_personal_data
from backend.models import Case, Organization, OutboxMessage
from backend.notify import notify_staff, staff_of

SUMMARY_CHARS = 80
DUTY_ROLES = ("mediator", "admin")


async def duty_organization(session: AsyncSession, town_code: str | None) -> Organization | None:
    if town_code:
        centre = await session.scalar(
            select(Organization).filter_by(
                kind="town_mediation_centre", town_code=town_code, active=True
            )
        )
        if centre is not None:
            return centre
    return await session.scalar(
        select(Organization).filter_by(kind="county_mediation_centre", active=True)
    )


async def alert_duty_staff(
    session: AsyncSession,
    *,
    text: str,
    reasons: list[str],
    town_code: str | None,
    at: datetime,
    dedup: str,
    case: Case | None = None,
) -> int:
    """Pushes the alert; returns how many people it reached (0 when nobody has a chat).
    A person already alerted under the same `dedup` key is not pushed to again."""
    org = await duty_organization(session, town_code)
    if org is None:
        return 0
    people = await staff_of(session, org, DUTY_ROLES, on_duty_only=True)
    summary = mask_personal_data(text)[:SUMMARY_CHARS]
    params = {
        "place": org.name,
        "reasons": "；".join(r.split(":", 1)[-1].strip() for r in reasons) or "-",
        "summary": summary if case is None else f"{case.number} {summary}",
    }
    keys = {person.code: f"{dedup}:{person.code}" for person in people}
    already = set(
        await session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys.values()))
        )
    )
    reached = 0
    for person in people:
        if keys[person.code] in already:  # told before (the same danger again today)
            reached += 1
            continue
        reached += await notify_staff(
            session,
            person,
            "push.risk_alert",
            params,
            purpose="risk_alert",
            at=at,
            case=case,
            dedup=keys[person.code],
        )
    return reached
