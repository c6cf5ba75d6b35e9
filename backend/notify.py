"""Pushes to people, written to the outbox in the caller's transaction.

A person is reached on the chat account they used last. Staff without a registered chat
account (no invite redeemed yet) cannot be pushed to; the case event log still shows what
they should have been told, and `notify_*` says False so callers can fall back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import outbox
from backend.models import Case, Mediator, Organization, OutboxMessage


async def push_to(
    session: AsyncSession,
    resident_id: int | None,
    key: str,
    params: dict[str, Any],
    *,
    purpose: str,
    at: datetime,
    case_id: int | None,
    options: list[dict[str, str]] | None = None,
    dedup: str | None = None,
    translate: list[str] | None = None,
    times: list[str] | None = None,
    once: bool = False,
) -> bool:
    """A push to whoever `resident_id` is (resident or staff). False: no chat account, or,
    with `once`, a push under this dedup key exists already (a job run a second time pushes
    nothing instead of failing on the unique key)."""
    if resident_id is None:
        return False
    if once and dedup is not None:
        sent = select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup)
        if await session.scalar(sent) is not None:
            return False
    identity = await outbox.latest_identity(session, resident_id)
    if identity is None:
        return False
    outbox.enqueue(
        session,
        channel=identity.channel,
        recipient=identity.external_id,
        message_key=key,
        params=params,
        purpose=purpose,
        at=at,
        options=options,
        case_id=case_id,
        dedup_key=dedup,
        translate=translate,
        times=times,
    )
    return True


class PushExtras(TypedDict, total=False):
    options: list[dict[str, str]] | None
    dedup: str | None
    translate: list[str] | None
    times: list[str] | None


async def notify_resident(
    session: AsyncSession,
    case: Case,
    key: str,
    params: dict[str, Any],
    *,
    purpose: str,
    at: datetime,
    **extras: Unpack[PushExtras],
) -> bool:
    """Proxy and offline cases have a resident without a chat account: nothing is sent.
    `dedup` makes a push of a timed job that runs twice go out once."""
    return await push_to(
        session, case.resident_id, key, params, purpose=purpose, at=at, case_id=case.id, **extras
    )


async def notify_staff(
    session: AsyncSession,
    person: Mediator,
    key: str,
    params: dict[str, Any],
    *,
    purpose: str,
    at: datetime,
    case: Case | None = None,
    **extras: Unpack[PushExtras],
) -> bool:
    case_id = case.id if case is not None else None
    return await push_to(
        session, person.resident_id, key, params, purpose=purpose, at=at, case_id=case_id, **extras
    )


async def staff_of(
    session: AsyncSession, org: Organization, roles: Sequence[str], *, on_duty_only: bool = False
) -> list[Mediator]:
    stmt = select(Mediator).where(
        Mediator.organization_id == org.id,
        Mediator.active.is_(True),
        Mediator.role.in_(list(roles)),
    )
    if on_duty_only:
        stmt = stmt.where(Mediator.on_duty.is_(True))
    return list(await session.scalars(stmt.order_by(Mediator.id)))
