"""Conversation state in the database, so a restart mid-report loses nothing.

On PostgreSQL the row is locked for the whole message (SELECT ... FOR UPDATE), so two
processes never handle the same user's messages at once.

This runs for every message, so it speaks SQLAlchemy Core with statements built once: the ORM's
identity map and unit of work cost more CPU than the round trips themselves
(docs/benchmarks.md, WeChat channel throughput).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import Database, upsert_insert
from backend.models import ConversationState
from backend.records import Conversation

_TABLE = ConversationState.__table__
_LOCKED = (
    select(_TABLE.c.id, _TABLE.c.flow, _TABLE.c.step, _TABLE.c.data, _TABLE.c.locale)
    .where(_TABLE.c.channel == bindparam("channel"), _TABLE.c.external_id == bindparam("user_id"))
    .with_for_update()
)
_STORE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(
        flow=bindparam("flow"),
        step=bindparam("step"),
        data=bindparam("data", type_=_TABLE.c.data.type),
        locale=bindparam("locale"),
        version=_TABLE.c.version + 1,
        updated_at=bindparam("at"),
    )
)


@dataclass(frozen=True)
class LockedState:
    """The stored state as it was when locked: what `store_conversation` compares against."""

    row_id: int
    flow: str | None
    step: str | None
    data: dict[str, Any]
    locale: str


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    # The state is JSON (it is stored as JSON), and the C codec copies it several times faster
    # than copy.deepcopy. The copy keeps nested lists edited in place from changing the snapshot.
    return json.loads(json.dumps(data, ensure_ascii=False))


async def _select_locked(session: AsyncSession, channel: str, user_id: str) -> LockedState | None:
    found = (await session.execute(_LOCKED, {"channel": channel, "user_id": user_id})).first()
    if found is None:
        return None
    row_id, flow, step, data, locale = found
    return LockedState(row_id, flow, step, data or {}, locale)


async def lock_conversation(
    session: AsyncSession, channel: str, user_id: str, *, at: datetime, locale: str
) -> tuple[LockedState, Conversation]:
    # PostgreSQL: the row lock is taken by the SELECT, so the INSERT is only needed (and only
    # sent) on a user's first message. SQLite ignores FOR UPDATE: there the INSERT goes first
    # because, as a write, it takes the database's write lock for the whole transaction.
    postgres = session.get_bind().dialect.name == "postgresql"
    locked = await _select_locked(session, channel, user_id) if postgres else None
    if locked is None:
        insert = upsert_insert(session)
        await session.execute(
            insert(_TABLE)
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
        locked = await _select_locked(session, channel, user_id)
    assert locked is not None
    conversation = Conversation(
        channel, user_id, locked.flow, locked.step, _copy(locked.data), locked.locale
    )
    return locked, conversation


async def store_conversation(
    session: AsyncSession, locked: LockedState, conversation: Conversation, at: datetime
) -> None:
    """Writes the state back when the message changed it; a platform's retry answered from
    the stored replies changes nothing, so it writes nothing (the version stays)."""
    now = (conversation.flow, conversation.step, conversation.data, conversation.locale)
    if now == (locked.flow, locked.step, locked.data, locked.locale):
        return
    await session.execute(
        _STORE,
        {
            "row_id": locked.row_id,
            "flow": conversation.flow,
            "step": conversation.step,
            "data": conversation.data,
            "locale": conversation.locale,
            "at": at,
        },
    )


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
        locked, conversation = await lock_conversation(
            session, channel, user_id, at=at, locale=locale
        )
        conversation.data[key] = [[label, payload] for label, payload in options]
        await store_conversation(session, locked, conversation, at)
