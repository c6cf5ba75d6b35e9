"""The outbox: pushes are rows written in the same transaction as the change behind them.

A row holds a message key and parameters, not rendered text, so it is rendered in the
recipient's language when it is delivered; only the dialogue's own replies to messages handled
late (kept in the spool during a database outage) are stored as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import ChannelIdentity, OutboxMessage


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    message_key: str,
    params: dict[str, Any],
    purpose: str,
    at: datetime,
    options: list[dict[str, str]] | None = None,
    case_id: int | None = None,
    dedup_key: str | None = None,
    translate: list[str] | None = None,
    times: list[str] | None = None,
) -> OutboxMessage:
    """`translate` names params that are catalogue keys, `times` params that are ISO times;
    both are rendered in the recipient's language and the county's zone on delivery."""
    payload: dict[str, Any] = {"key": message_key, "params": params, "options": options or []}
    if translate:
        payload["translate"] = translate
    if times:
        payload["times"] = times
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        payload=payload,
        purpose=purpose,
        case_id=case_id,
        dedup_key=dedup_key,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(row)
    return row


def enqueue_reply(
    session: AsyncSession, *, channel: str, recipient: str, reply: dict[str, Any], at: datetime
) -> OutboxMessage:
    """A reply already written out (the dialogue's answer to a message handled late, after an
    outage), sent as it is: {"text": ..., "options": [[label, payload], ...]}."""
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        payload={"reply": reply},
        purpose="reply",
        next_attempt_at=at,
        created_at=at,
    )
    session.add(row)
    return row


async def latest_identity(session: AsyncSession, resident_id: int) -> ChannelIdentity | None:
    """Where to reach a person: the channel they used most recently."""
    stmt = (
        select(ChannelIdentity)
        .filter_by(resident_id=resident_id)
        .order_by(ChannelIdentity.last_seen_at.desc(), ChannelIdentity.id.desc())
    )
    return (await session.scalars(stmt)).first()
