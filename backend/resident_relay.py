"""Passing what a resident says on to staff: who can be reached, a masked preview, the push.

A staff member is reached on the chat account linked to their record (Mediator.resident_id),
the one they used last. Pushes hold a message key and parameters, rendered in the recipient's
language when delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import masking, outbox
from backend.models import Case, ChannelIdentity, Mediator
from backend.notify import notify_staff

PREVIEW_CHARS = 80
Reachable = list[tuple[Mediator, ChannelIdentity]]


def masked_preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    return masking.masked_preview(text, limit)


async def reachable_staff(session: AsyncSession, people: Sequence[Mediator]) -> Reachable:
    """Those of `people` who have a chat account, with the account to push to."""
    out: Reachable = []
    for person in people:
        if person.resident_id is None or not person.active:
            continue
        identity = await outbox.latest_identity(session, person.resident_id)
        if identity is not None:
            out.append((person, identity))
    return out


async def reachable_admins(session: AsyncSession, organization_id: int | None) -> Reachable:
    if organization_id is None:
        return []
    admins = await session.scalars(
        select(Mediator)
        .where(
            Mediator.organization_id == organization_id,
            Mediator.role == "admin",
            Mediator.active.is_(True),
            Mediator.resident_id.is_not(None),
        )
        .order_by(Mediator.id)
    )
    return await reachable_staff(session, list(admins))


async def push_to(
    session: AsyncSession,
    people: Reachable,
    key: str,
    params: dict[str, Any],
    *,
    purpose: str,
    at: datetime,
    case: Case,
    dedup: str,
    options: list[dict[str, str]] | None = None,
) -> None:
    for person, _ in people:
        await notify_staff(
            session,
            person,
            key,
            params,
            purpose=purpose,
            at=at,
            case=case,
            options=options,
            dedup=f"{dedup}:{person.code}",
        )
