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

from backend import outbox
from backend.crypto import mask_personal_data
from backend.models import Case, ChannelIdentity, Mediator
from nlu.entities.idcard import find_id_numbers, mask_id_number
from nlu.entities.phones import find_phones, mask_phone

PREVIEW_CHARS = 80
Reachable = list[tuple[Mediator, ChannelIdentity]]


def masked_preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of a message with phone and ID numbers masked, however they were typed."""
    found = [(e.start, e.end, mask_phone(str(e.value))) for e in find_phones(text)]
    found += [(e.start, e.end, mask_id_number(str(e.value))) for e in find_id_numbers(text)]
    edge = len(text)
    for start, end, masked in sorted(found, reverse=True):
        if end <= edge:  # spans never overlap, but never trust that with personal data
            text, edge = text[:start] + masked + text[end:], start
    text = mask_personal_data(text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


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
    for person, identity in people:
        outbox.enqueue(
            session,
            channel=identity.channel,
            recipient=identity.external_id,
            message_key=key,
            params=params,
            purpose=purpose,
            at=at,
            options=options,
            case_id=case.id,
            dedup_key=f"{dedup}:{person.code}",
        )
