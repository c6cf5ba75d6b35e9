"""Claiming platform messages exactly once.

The claim is an INSERT ... ON CONFLICT DO NOTHING on (channel, dedup_key) inside the same
transaction that handles the message: if handling fails, the claim rolls back with it and the
platform's retry is handled afresh; if it succeeds, a retry finds the claim and gets the
stored replies again. No check-then-insert, so two copies arriving together cannot both win.

Core statements built once, as in backend.conversations: this runs for every message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import UPSERT_INSERTS
from backend.models import InboundMessage

_TABLE = InboundMessage.__table__
_CLAIM = {
    dialect: insert(_TABLE)
    .values(
        channel=bindparam("channel"),
        dedup_key=bindparam("dedup_key"),
        user_id=bindparam("user_id"),
        replies=bindparam("replies", type_=_TABLE.c.replies.type),
        received_at=bindparam("at"),
    )
    .on_conflict_do_nothing()
    .returning(_TABLE.c.id)
    for dialect, insert in UPSERT_INSERTS.items()
}
_REPLIES = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("claim_id"))
    .values(replies=bindparam("replies", type_=_TABLE.c.replies.type))
)
_EARLIER = select(_TABLE.c.replies).where(
    _TABLE.c.channel == bindparam("channel"), _TABLE.c.dedup_key == bindparam("dedup_key")
)


async def claim(
    session: AsyncSession, channel: str, dedup_key: str, user_id: str, *, at: datetime
) -> int | None:
    """The new claim's id, or None when this message was claimed before."""
    statement = _CLAIM[session.get_bind().dialect.name]
    params = {
        "channel": channel,
        "dedup_key": dedup_key,
        "user_id": user_id,
        "replies": {},
        "at": at,
    }
    claim_id: int | None = (await session.execute(statement, params)).scalar()
    return claim_id


async def record_replies(session: AsyncSession, claim_id: int, replies: list[Any]) -> None:
    await session.execute(_REPLIES, {"claim_id": claim_id, "replies": {"messages": replies}})


async def earlier_replies(session: AsyncSession, channel: str, dedup_key: str) -> list[Any]:
    found = await session.scalar(_EARLIER, {"channel": channel, "dedup_key": dedup_key})
    return list((found or {}).get("messages", []))
