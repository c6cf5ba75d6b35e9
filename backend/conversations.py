"""Conversation state in the database, so a restart mid-report loses nothing.

On PostgreSQL the row is locked for the whole message (SELECT ... FOR UPDATE), so two
processes never handle the same user's messages at once.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import Database, upsert_insert
from backend.models import ConversationState
from backend.records import Conversation

# Built once: this runs for every message, and building (and keying) the statement anew each
# time cost more CPU than sending it (docs/benchmarks.md, WeChat channel throughput).
_LOCKED = (
    select(ConversationState)
    .where(
        ConversationState.channel == bindparam("channel"),
        ConversationState.external_id == bindparam("user_id"),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def _select_locked(
    session: AsyncSession, channel: str, user_id: str
) -> ConversationState | None:
    return await session.scalar(_LOCKED, {"channel": channel, "user_id": user_id})


async def lock_conversation(
    session: AsyncSession, channel: str, user_id: str, *, at: datetime, locale: str
) -> tuple[ConversationState, Conversation]:
    # PostgreSQL: the row lock is taken by the SELECT, so the INSERT is only needed (and only
    # sent) on a user's first message. SQLite ignores FOR UPDATE: there the INSERT goes first
    # because, as a write, it takes the database's write lock for the whole transaction.
    postgres = session.get_bind().dialect.name == "postgresql"
    row = await _select_locked(session, channel, user_id) if postgres else None
    if row is None:
        insert = upsert_insert(session)
        await session.execute(
            insert(ConversationState)
            .values(
                channel=channel,
                external_id=user_id,
                data={},
                locale=locale,
                version=0,
                updated_at=at,
            )
            .on_conflict_do_nothing()
        )
        row = await _select_locked(session, channel, user_id)
    assert row is not None
    return row, Conversation(
        channel, user_id, row.flow, row.step, copy.deepcopy(row.data or {}), row.locale
    )


def store_conversation(row: ConversationState, conversation: Conversation, at: datetime) -> None:
    """Writes the state back when the message changed it; a platform's retry answered from
    the stored replies changes nothing, so it writes nothing (the version stays)."""
    unchanged = (row.flow, row.step, row.data or {}, row.locale) == (
        conversation.flow,
        conversation.step,
        conversation.data,
        conversation.locale,
    )
    if unchanged:
        return
    row.flow, row.step = conversation.flow, conversation.step
    # A deep copy: nested lists edited in place must not alias the loaded state, or the
    # ORM would see no change and skip the UPDATE.
    row.data = copy.deepcopy(conversation.data)
    row.locale = conversation.locale
    row.version += 1
    row.updated_at = at


async def remember_shown_options(
    db: Database,
    channel: str,
    user_id: str,
    key: str,
    options: Sequence[tuple[str, str]],
    *,
    at: datetime,
    locale: str,
) -> None:
    """Stores a delivered push's options (label, payload) under `key` of the recipient's state,
    so a number typed on a channel without buttons answers what was shown last. Under the
    conversation's lock, so it falls before or after the user's own message, never inside it."""
    async with db.sessions() as session, session.begin():
        row, conversation = await lock_conversation(
            session, channel, user_id, at=at, locale=locale
        )
        conversation.data[key] = [[label, payload] for label, payload in options]
        store_conversation(row, conversation, at)
