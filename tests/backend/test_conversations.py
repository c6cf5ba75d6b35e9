"""Remembering a delivered push's options in the recipient's conversation state: it keeps
what the conversation holds, and it waits for a message being handled instead of undoing it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from backend.clock import ManualClock
from backend.conversations import lock_conversation, remember_shown_options, store_conversation
from backend.db import Database, open_database
from backend.models import ConversationState
from tests.conftest import TEST_KEY

KEY = "_options"
OFFER = [("接受", "accept:2026-000001"), ("婉拒", "decline:2026-000001")]


@pytest.fixture
async def db(database_url: str, tmp_path: Path):
    database = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    yield database
    await database.dispose()


async def _state(db: Database, user_id: str) -> ConversationState:
    async with db.sessions() as session:
        row = await session.scalar(select(ConversationState).filter_by(external_id=user_id))
        assert row is not None
        return row


async def _mid_report(db: Database, clock: ManualClock, user_id: str) -> None:
    """A user half-way through a report, a menu's options shown last."""
    async with db.sessions() as session, session.begin():
        row, conversation = await lock_conversation(
            session, "wechat", user_id, at=clock.now(), locale="en"
        )
        conversation.flow, conversation.step = "intake", "other_party"
        conversation.data = {"draft": {"category": "neighbour"}, KEY: [["Menu", "cmd:menu"]]}
        await store_conversation(session, row, conversation, clock.now())


async def test_the_options_replace_the_last_shown_and_nothing_else(
    db: Database, clock: ManualClock
) -> None:
    await _mid_report(db, clock, "o-mediator")
    await remember_shown_options(
        db, "wechat", "o-mediator", KEY, OFFER, at=clock.now(), locale="zh"
    )
    state = await _state(db, "o-mediator")
    assert (state.flow, state.step, state.locale) == ("intake", "other_party", "en")
    assert state.data == {
        "draft": {"category": "neighbour"},
        KEY: [["接受", "accept:2026-000001"], ["婉拒", "decline:2026-000001"]],
    }
    assert state.version == 2


async def test_a_recipient_without_a_conversation_gets_one(
    db: Database, clock: ManualClock
) -> None:
    await remember_shown_options(db, "wechat", "o-new", KEY, OFFER, at=clock.now(), locale="en")
    state = await _state(db, "o-new")
    assert (state.flow, state.step, state.locale) == (None, None, "en")
    assert state.data == {KEY: [list(o) for o in OFFER]}


async def _until_waiting_on_a_lock(db: Database) -> None:
    """Returns once a session of this test's PostgreSQL database waits for a row lock."""
    for _ in range(2000):
        async with db.sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
            )
        if waiting:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the push never waited for the conversation's lock")


async def test_it_waits_for_the_users_message_and_loses_none_of_it(
    db: Database, clock: ManualClock
) -> None:
    await _mid_report(db, clock, "o-busy")
    async with db.sessions() as session, session.begin():  # the user's message being handled
        row, conversation = await lock_conversation(
            session, "wechat", "o-busy", at=clock.now(), locale="zh"
        )
        push = asyncio.create_task(
            remember_shown_options(db, "wechat", "o-busy", KEY, OFFER, at=clock.now(), locale="zh")
        )
        if not db.is_sqlite:  # SQLite's writer waits inside the driver, where nothing shows
            await _until_waiting_on_a_lock(db)
            assert not push.done()
        conversation.step = "phone"
        conversation.data["draft"]["other_party"] = "隔壁邻居王某"
        conversation.data[KEY] = [["Skip", "skip"]]  # the reply's options, committed first
        await store_conversation(session, row, conversation, clock.now())
    await push
    state = await _state(db, "o-busy")
    assert state.step == "phone" and state.data["draft"]["other_party"] == "隔壁邻居王某"
    assert state.data[KEY] == [list(o) for o in OFFER]  # the push came after: it is shown last
    assert state.version == 3
