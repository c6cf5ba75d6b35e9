"""Nothing a resident sends is lost while the database is away: the real server, web chat over
loopback HTTP, messages kept in the spool, replayed in order per user once the database
answers, replies delivered through the outbox. Time (the outage's 60 s, the replayer's and
the worker's pauses) runs on the test's clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from backend import outbox
from backend.clock import ManualClock
from backend.crypto import PersonalDataCipher
from backend.db import open_database
from backend.models import InboundMessage, OutboxMessage
from backend.services import CaseStore
from bot.channels.files import EvidenceStore
from bot.channels.webchat import COOKIE, SESSION_SALT, WebChatChannel
from bot.engine import Dialogue
from bot.messages import IncomingMessage
from bot.spool import SUFFIX, Spool
from jiefen.app import App, build_app, open_spool
from jiefen.channels import web_chat
from jiefen.server import create_web_app
from jiefen.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_KEY, truncate_all
from tests.servers import free_port, serving
from tests.tcp_proxy import TcpProxy

SECRET = "test-web-session-secret"
RECEIVED = "消息已收到"
# Each message only makes sense after the one before: handled out of order, the replies differ.
NEIGHBOUR = ["隔壁邻居天天半夜装修吵得睡不着", "同意", "对，就是这个"]
LABOUR = ["老板拖欠我三个月工资一直不给", "同意", "对，就是这个"]
EXPECTED = ["隐私说明", "对吗", "哪个镇"]  # a phrase of the reply to each, in order


@dataclass
class Phone:
    """One resident's browser on the web chat, with a known session id."""

    http: httpx.AsyncClient
    session: str

    async def say(self, client_id: str, text: str) -> list[str]:
        response = await self.http.post("/api/message", json={"id": client_id, "text": text})
        assert response.status_code == 200, response.text
        return [r["text"] for r in response.json()["replies"]]

    async def updates(self) -> list[str]:
        response = await self.http.get("/api/updates")
        return [r["text"] for r in response.json()["replies"]]

    def key(self, client_id: str) -> str:
        return f"web:{self.session}:{client_id}"


@contextlib.asynccontextmanager
async def phone(base: str, session: str) -> AsyncIterator[Phone]:
    cookie = URLSafeSerializer(SECRET, salt=SESSION_SALT).dumps(session)
    async with httpx.AsyncClient(base_url=base, cookies={COOKIE: cookie}, timeout=30) as http:
        yield Phone(http, session)


def _settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        secret_key=TEST_KEY,
        nlu_data_dir=PROJECT_ROOT / "nlu" / "data",
        _env_file=None,  # type: ignore[call-arg]
    )


async def _server_app(settings: Settings, clock: ManualClock, nlu: Any) -> App:
    """What `jiefen serve` builds, on the test's clock."""
    return await build_app(settings, clock=clock, nlu=nlu, sleep=clock.sleep, spooling=True)


def _web_chat(app: App, tmp_path: Path) -> WebChatChannel:
    return web_chat(app, SECRET, EvidenceStore(tmp_path / "evidence"))


async def _run_clock(clock: ManualClock, done: Callable[[], Any], what: str) -> None:
    """Moves the test's clock on a second at a time, letting the server's background work
    (replayer, outbox worker) run, until `done` holds; bounded."""
    for _ in range(600):
        outcome = done()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        clock.advance(timedelta(seconds=1))
        await asyncio.sleep(0.01)  # real time for the database round trips, not for the clock
    raise AssertionError(f"{what} did not happen within 600 s of the test's clock")


async def _claims(app: App) -> list[str]:
    async with app.db.sessions() as session:
        rows = await session.scalars(select(InboundMessage).order_by(InboundMessage.id))
        return [r.dedup_key for r in rows]


async def _unsent(app: App) -> int:
    async with app.db.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent"))
        return len(list(rows))


def _in_order(replies: list[str], phrases: list[str]) -> None:
    """Each phrase appears in the replies, in this order, exactly once."""
    positions = []
    for phrase in phrases:
        hits = [i for i, text in enumerate(replies) if phrase in text]
        assert len(hits) == 1, (phrase, replies)
        positions.append(hits[0])
    assert positions == sorted(positions), replies


async def test_messages_spooled_before_a_restart_are_replayed_when_it_starts(
    database_url: str, tmp_path: Path, clock: ManualClock, shared_nlu
) -> None:
    settings = _settings(tmp_path, database_url)
    app = await _server_app(settings, clock, shared_nlu)
    # The process before: its database had gone away, it kept two residents' messages, then
    # it died. Same dialogue code and spool folder; a database URL nobody answers.
    nowhere = open_database(
        f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone", secret_key=TEST_KEY, var_dir=tmp_path
    )
    before = Dialogue(CaseStore(nowhere, clock), app.dialogue.services, open_spool(settings))
    sessions = {"alice": "a" * 24, "bob": "b" * 24}
    for index, (alice_text, bob_text) in enumerate(zip(NEIGHBOUR, LABOUR, strict=True), 1):
        for session, text in ((sessions["alice"], alice_text), (sessions["bob"], bob_text)):
            message = IncomingMessage(
                "webchat", session, text, message_id=f"web:{session}:m{index}"
            )
            (reply,) = await before.handle(message)
            assert RECEIVED in reply.text
    await nowhere.dispose()
    await app.close()

    restarted = await _server_app(settings, clock, shared_nlu)
    assert restarted.spool is not None and len(restarted.spool) == 6
    web = create_web_app(restarted, [_web_chat(restarted, tmp_path)])
    async with (
        serving(web) as base,
        phone(base, sessions["alice"]) as alice,
        phone(base, sessions["bob"]) as bob,
    ):
        received = {"alice": [], "bob": []}

        async def everything_arrived() -> bool:
            received["alice"] += await alice.updates()
            received["bob"] += await bob.updates()
            return len(restarted.spool or ()) == 0 and await _unsent(restarted) == 0

        await _run_clock(clock, everything_arrived, "the replay")
        received["alice"] += await alice.updates()
        received["bob"] += await bob.updates()
        _in_order(received["alice"], EXPECTED)
        _in_order(received["bob"], EXPECTED)
        assert "邻里纠纷" in "".join(received["alice"]) and "劳动争议" in "".join(received["bob"])
        health = (await alice.http.get("/healthz")).json()
        assert health["spooled"] == 0 and health["spool_aside"] == 0
    assert list(settings.spool_dir.glob(f"*{SUFFIX}")) == []


def _through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


@pytest.mark.postgres
async def test_a_60_second_database_outage_loses_no_message(
    pg_server_url: str,
    tmp_path: Path,
    clock: ManualClock,
    shared_nlu,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL only: an outage is a network cut between the app and its database server,
    which a TCP proxy can make for real. SQLite is a file in the same process; making it
    unreadable is a different failure (a broken disk), not an outage that ends."""
    await truncate_all(pg_server_url)
    real = make_url(pg_server_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    settings = _settings(tmp_path, _through(proxy, pg_server_url))
    app = await _server_app(settings, clock, shared_nlu)
    assert app.spool is not None
    web = create_web_app(app, [_web_chat(app, tmp_path)])
    caplog.set_level(logging.WARNING)
    try:
        async with (
            serving(web) as base,
            phone(base, "alice-session-0001") as alice,
            phone(base, "bob-session-00002") as bob,
        ):
            assert "解纷" in (await alice.say("m0", "你好"))[0]
            async with app.db.sessions() as session, session.begin():  # due during the outage
                outbox.enqueue_reply(
                    session,
                    channel="webchat",
                    recipient=alice.session,
                    reply={"text": "停电前写好的推送", "options": []},
                    at=clock.now() + timedelta(seconds=10),
                )

            await proxy.cut()
            for index, (alice_text, bob_text) in enumerate(zip(NEIGHBOUR, LABOUR, strict=True), 1):
                assert RECEIVED in (await alice.say(f"m{index}", alice_text))[0]
                assert RECEIVED in (await bob.say(f"m{index}", bob_text))[0]
            assert RECEIVED in (await bob.say("m2", LABOUR[1]))[0]  # the page sent it again
            ready = await alice.http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "database unreachable",
                "spooled": 7,
                "spool_aside": 0,
            }
            assert (await alice.http.get("/healthz")).json()["spooled"] == 7

            replayer = web.state.replayer
            for _ in range(60):  # the outage lasts 60 s on the test's clock
                clock.advance(timedelta(seconds=1))
                await asyncio.sleep(0.01)
            assert 3 <= replayer.pings <= 10  # backing off, not spinning
            assert web.state.worker.database_away
            assert len(app.spool) == 7 and await alice.updates() == []

            await proxy.restore()
            # Alice writes again before the replayer's next try: her kept messages go first,
            # and their replies come back with this one, in order.
            replies = await alice.say("m4", "枫桥镇陈家村")
            _in_order(replies, [*EXPECTED, "对方是谁"])
            assert RECEIVED not in "".join(replies)

            bob_got: list[str] = []
            alice_got: list[str] = []

            async def drained() -> bool:
                bob_got.extend(await bob.updates())
                alice_got.extend(await alice.updates())
                return len(app.spool or ()) == 0 and await _unsent(app) == 0

            await _run_clock(clock, drained, "the replay after the outage")
            bob_got += await bob.updates()
            alice_got += await alice.updates()
            _in_order(bob_got, EXPECTED)  # once each: the resent m2 was recognised
            assert alice_got == ["停电前写好的推送"]

            claims = await _claims(app)
            assert [k for k in claims if alice.session in k] == [
                alice.key(f"m{i}") for i in range(5)
            ]
            assert [k for k in claims if bob.session in k] == [bob.key(f"m{i}") for i in (1, 2, 3)]
            ready = await alice.http.get("/readyz")
            assert ready.status_code == 200 and ready.json()["spooled"] == 0
    finally:
        await proxy.close()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("spooling incoming messages" in m for m in messages) == 1
    assert any("spool drained" in m for m in messages)
    assert any("outbox: database unreachable" in m for m in messages)
    assert list(settings.spool_dir.glob(f"*{SUFFIX}")) == []


def _down_and_up(app: App, tmp_path: Path, clock: ManualClock, **services: Any):
    """Two dialogues over one spool: one whose database is away, one whose database answers."""
    spool = Spool(tmp_path / "spool", PersonalDataCipher(TEST_KEY))
    nowhere = open_database(
        f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone", secret_key=TEST_KEY, var_dir=tmp_path
    )
    down = Dialogue(CaseStore(nowhere, clock), app.dialogue.services, spool)
    up = Dialogue(app.store, replace(app.dialogue.services, **services), spool)
    return spool, nowhere, down, up


async def test_a_kept_message_sent_again_is_handled_and_answered_once(
    app: App, tmp_path: Path, clock: ManualClock
) -> None:
    spool, nowhere, down, up = _down_and_up(app, tmp_path, clock)
    story = IncomingMessage("telegram", "4242", NEIGHBOUR[0], message_id="tg:1")
    assert RECEIVED in (await down.handle(story))[0].text
    await nowhere.dispose()
    replies = await up.handle(story)  # the platform delivers it again once the database is back
    assert sum("隐私说明" in r.text for r in replies) == 1 and len(spool) == 0
    assert "隐私说明" in (await up.handle(story))[0].text  # a third time: the stored answer
    assert await _claims(app) == ["tg:1"]


async def test_a_kept_message_that_fails_otherwise_is_set_aside_with_an_apology(
    app: App, tmp_path: Path, clock: ManualClock
) -> None:
    from tests.bot.test_engine import FailingNlu

    broken = "这句话会让模型出错"
    nlu = FailingNlu(app.dialogue.services.nlu, broken=broken)
    spool, nowhere, down, up = _down_and_up(app, tmp_path, clock, nlu=nlu)
    for text in (broken, NEIGHBOUR[0]):
        assert RECEIVED in (await down.handle(IncomingMessage("telegram", "77", text)))[0].text
    await nowhere.dispose()
    assert await up.replay("telegram", "77") is True
    assert len(spool) == 0 and spool.aside_count() == 1  # kept for an operator, not dropped
    async with app.db.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    texts = [r.payload["reply"]["text"] for r in rows]
    assert "出了点问题" in texts[0] and any("隐私说明" in t for t in texts[1:])
    assert {(r.channel, r.recipient, r.purpose) for r in rows} == {("telegram", "77", "reply")}
