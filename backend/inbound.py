"""Claiming platform messages exactly once.

The claim is an INSERT ... ON CONFLICT DO NOTHING on (channel, dedup_key) inside the same
transaction that handles the message: if handling fails, the claim rolls back with it and the
platform's retry is handled afresh; if it succeeds, a retry finds the claim and gets the
stored replies again. No check-then-insert, so two copies arriving together cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import upsert_insert
from backend.models import InboundMessage


async def claim(
    session: AsyncSession, channel: str, dedup_key: str, user_id: str, *, at: datetime
) -> InboundMessage | None:
    """The new claim row, or None when this message was claimed before. One statement: the
    ORM takes the returned row as the persistent object, so no SELECT follows."""
    insert = upsert_insert(session)
    claimed: InboundMessage | None = await session.scalar(
        insert(InboundMessage)
        .values(channel=channel, dedup_key=dedup_key, user_id=user_id, replies={}, received_at=at)
        .on_conflict_do_nothing()
        .returning(InboundMessage)
    )
    return claimed


async def earlier_replies(session: AsyncSession, channel: str, dedup_key: str) -> list[Any]:
    row = await session.scalar(
        select(InboundMessage).filter_by(channel=channel, dedup_key=dedup_key)
    )
    return list((row.replies or {}).get("messages", [])) if row else []
