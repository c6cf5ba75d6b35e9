"""The Telegram channel against a fake Bot API, over real HTTP on loopback: long polling and
webhook, retries and reordering, evidence files, outbox pushes."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.case_views import show_case
from backend.delivery import RetryLater, Undeliverable
from backend.models import ConversationState, InboundMessage, OutboxMessage
from bot.channels.files import EvidenceStore
from bot.channels.ratelimit import RateLimiter
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, file_base_url
from bot.channels.telegram_render import keyboard, render
from bot.messages import Option, OutgoingMessage
from jiefen.server import create_web_app
from tests.delivering import deliver, worker
from tests.fakes.telegram_api import FakeTelegram
from tests.servers import serving
from tests.waiting import until_async

CHAT = 424242
SECRET = "s3cret-token_for-tests"
WEBHOOK = "https://jiefen.example/telegram"
STORY = "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着，说了好几次也不听"


@dataclass
class Resident:
    """A villager in the Telegram app: each step sends one update and waits, bounded, for the
    bot's reply that contains `until`."""

    fake: FakeTelegram
    deliver: Callable[[dict[str, Any]], Awaitable[None]]
    chat_id: int = CHAT
    seen: int = 0

    def mine(self) -> list[dict[str, Any]]:
        return [m for m in self.fake.sent if int(m["chat_id"]) == self.chat_id]

    @property
    def last(self) -> list[dict[str, Any]]:
        return self.mine()[self.seen :]

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.last)

    async def send(self, update: dict[str, Any], until: str) -> str:
        self.seen = len(self.mine())
        await self.deliver(update)
        await self.fake.wait_until(lambda: until in self.text)
        return self.text

    async def say(self, text: str, until: str) -> str:
        return await self.send(self.fake.text_update(self.chat_id, text), until)

    async def tap(self, label_part: str, until: str) -> str:
        """Taps the newest button so labelled: a callback query with its callback_data."""
        for message in reversed(self.mine()):
            for button in self.fake.buttons(message):
                if label_part in button["text"]:
                    update = self.fake.callback_update(self.chat_id, button["callback_data"])
                    return await self.send(update, until)
        raise AssertionError(f"no button {label_part!r} in {self.last}")


async def reach_evidence_step(resident: Resident) -> None:
    await resident.say(STORY, until="您同意吗")
    await resident.tap("同意", until="对吗")
    await resident.tap("对，就是这个", until="哪个镇")
    await resident.say("枫桥镇陈家村", until="对方是谁")
    await resident.say("隔壁邻居王某", until="什么时候开始")
    await resident.tap("最近几天", until="什么结果")
    await resident.tap("停止侵害", until="有没有照片")


async def submit(resident: Resident) -> str:
    await resident.tap("完成", until="联系电话")
    await resident.say("138 1234 5678", until="请核对")
    await resident.tap("确认提交", until="/status")
    found = re.search(r"\d{4}-\d{6}", resident.text)
    assert found, resident.text
    return found.group(0)


async def _case(app, number: str) -> dict:
    async with app.db.sessions() as session:
        detail = await show_case(session, number, reveal=True, viewer="test", clock=app.store.clock)
    assert detail is not None
    return detail


async def _count(app, model: Any) -> int:
    async with app.db.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


@pytest.fixture
async def fake_api() -> AsyncIterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    async with serving(fake.asgi()) as url:
        yield fake, f"{url}/bot"


@pytest.fixture
def evidence(settings) -> EvidenceStore:
    return EvidenceStore(settings.evidence_dir)


@contextlib.asynccontextmanager
async def long_polling(
    app, fake_api: tuple[FakeTelegram, str], evidence: EvidenceStore, **options: Any
) -> AsyncIterator[TelegramChannel]:
    """The channel long-polling the fake, as `jiefen serve` runs it without a webhook URL."""
    fake, api_base = fake_api
    channel = TelegramChannel(
        app.dialogue.handle,
        token=fake.token,
        api_base=api_base,
        webhook_url="",
        secret="",
        evidence=evidence,
        **options,
    )
    channel.poll_timeout = timedelta(seconds=1)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.fixture
async def polling(app, fake_api, evidence) -> AsyncIterator[tuple[FakeTelegram, TelegramChannel]]:
    async with long_polling(app, fake_api, evidence) as channel:
        yield fake_api[0], channel


@pytest.fixture
async def webhook(app, fake_api, evidence) -> AsyncIterator[tuple[FakeTelegram, httpx.AsyncClient]]:
    """The whole web app serving the webhook; yields a client that posts like Telegram."""
    fake, api_base = fake_api
    channel = TelegramChannel(
        app.dialogue.handle,
        token=fake.token,
        api_base=api_base,
        webhook_url=WEBHOOK,
        secret=SECRET,
        evidence=evidence,
        texts=app.dialogue.services.texts,
    )
    async with (
        serving(create_web_app(app, [channel], run_worker=False)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        yield fake, client


def _poster(client: httpx.AsyncClient) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def post(update: dict[str, Any]) -> None:
        response = await client.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200, response.text

    return post


def _queuer(fake: FakeTelegram) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def queue(update: dict[str, Any]) -> None:
        fake.queue(update)

    return queue


async def test_a_whole_report_over_long_polling(app, polling) -> None:
    fake, _ = polling
    resident = Resident(fake, _queuer(fake))
    await reach_evidence_step(resident)
    await resident.say("有录音和视频", until="已记下 1 项")
    number = await submit(resident)

    case = await _case(app, number)
    assert case["status"] == "routed" and case["village"] == "fengqiao.chenjia"
    assert case["events"][0]["data"] == {"channel": "telegram", "reported_by": "self"}
    assert case["contact_phone"] == "13812345678"
    assert fake.callbacks and sorted(fake.answered) == sorted(fake.callbacks)
    consent = next(m for m in fake.sent if "您同意吗" in m["text"])
    assert consent["reply_markup"]["inline_keyboard"] == [
        [
            {"text": "同意", "callback_data": "consent:yes"},
            {"text": "不同意", "callback_data": "consent:no"},
        ]
    ]
    outcomes = next(m for m in fake.sent if "什么结果" in m["text"])
    rows = outcomes["reply_markup"]["inline_keyboard"]
    assert len(rows) == 7 and all(len(row) == 1 for row in rows)  # long labels: one a row

    names = ["start", "new", "status", "cancel", "restart", "help", "lang"]
    assert [c["command"] for c in fake.commands[""]] == names
    assert [c["command"] for c in fake.commands["en"]] == names
    assert fake.commands[""][1]["description"] == "反映一个新纠纷"
    assert fake.commands["en"][1]["description"] == "Report a new dispute"


async def test_webhook_takes_updates_with_the_secret_only(app, webhook) -> None:
    fake, client = webhook
    assert fake.webhook["url"] == WEBHOOK and fake.webhook["secret_token"] == SECRET
    assert "deleteWebhook" not in fake.calls and "getUpdates" not in fake.calls
    hello = fake.text_update(CHAT, "你好")
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
        response = await client.post("/telegram", json=hello, headers=headers)
        assert response.status_code == 403
    assert fake.sent == []
    assert await _count(app, InboundMessage) == 0
    assert await _count(app, ConversationState) == 0

    signed = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    for body in (b"{not json", b"[1, 2]", b'"text"', b'{"update_id": "x", "message": 5}'):
        response = await client.post("/telegram", content=body, headers=signed)
        assert response.status_code == 400, body
    too_big = b'{"update_id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await client.post("/telegram", content=too_big, headers=signed)).status_code == 413
    assert fake.sent == [] and await _count(app, InboundMessage) == 0

    resident = Resident(fake, _poster(client))
    await resident.say("你好", until="解纷")
    assert "我要反映纠纷" in [b["text"] for b in fake.buttons(resident.last[-1])]
    assert await _count(app, InboundMessage) == 1


async def test_a_second_server_process_sends_and_serves_the_webhook_but_never_polls(
    app, fake_api, evidence
) -> None:
    """`jiefen serve --workers 2`: the channel in worker 1 (lead=False) neither long-polls
    (Telegram would answer 409) nor sets the webhook or the menu, yet takes webhook posts and
    sends pushes; polling or webhook configured alike."""
    fake, api_base = fake_api

    def follower(webhook_url: str, secret: str) -> TelegramChannel:
        return TelegramChannel(
            app.dialogue.handle,
            token=fake.token,
            api_base=api_base,
            webhook_url=webhook_url,
            secret=secret,
            evidence=evidence,
            texts=app.dialogue.services.texts,
            lead=False,
        )

    for webhook_url, secret in (("", ""), (WEBHOOK, SECRET)):
        channel = follower(webhook_url, secret)
        assert channel.application.updater is None
        await channel.start()
        try:
            await channel.send(str(CHAT), OutgoingMessage(f"推送 {webhook_url or 'polling'}"))
        finally:
            await channel.stop()
    assert [m["text"] for m in fake.sent] == ["推送 polling", f"推送 {WEBHOOK}"]

    channel = follower(WEBHOOK, SECRET)
    async with (
        serving(create_web_app(app, [channel], run_worker=False)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        resident = Resident(fake, _poster(client), seen=len(fake.sent))
        await resident.say("你好", until="解纷")
    assert fake.webhook == {} and fake.commands == {}
    assert not {"getUpdates", "deleteWebhook", "setWebhook", "setMyCommands"} & set(fake.calls)


async def test_repeated_and_reordered_updates_are_each_handled_once(app, webhook) -> None:
    fake, client = webhook
    resident = Resident(fake, _poster(client))
    await reach_evidence_step(resident)
    first = fake.text_update(CHAT, "有录音")  # update N+1
    second = fake.text_update(CHAT, "有欠条照片")  # update N+2, arrives first
    assert second["update_id"] == first["update_id"] + 1
    assert "已记下 1 项" in await resident.send(second, until="已记下")
    assert "已记下 2 项" in await resident.send(first, until="已记下")
    assert "已记下 1 项" in await resident.send(second, until="已记下")  # answered the same way
    assert "已记下 2 项" in await resident.send(first, until="已记下")
    tap = fake.callback_update(CHAT, "evidence:done")
    await resident.send(tap, until="联系电话")
    await resident.send(tap, until="联系电话")  # a repeated tap is not a second answer
    await resident.say("13812345678", until="请核对")
    assert "证据：2 项" in resident.text
    await resident.tap("确认提交", until="/status")
    number = re.search(r"\d{4}-\d{6}", resident.text)
    assert number
    case = await _case(app, number.group(0))
    assert [e["note"] for e in case["evidence"]] == ["有欠条照片", "有录音"]


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone X"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (29.0, 43.0, 12.0), 3: "E", 4: (120.0, 14.0, 30.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("setup.exe", b"MZ" + b"\0" * 64)
    return out.getvalue()


async def test_photo_is_stored_without_exif_and_odd_files_are_declined(
    app, polling, settings
) -> None:
    fake, _ = polling
    resident = Resident(fake, _queuer(fake))
    await reach_evidence_step(resident)
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the test photo does carry a GPS position
    await resident.send(fake.photo_update(CHAT, original), until="已记下 1 项")
    stored = list(settings.evidence_dir.rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".jpg"
    with Image.open(files[0]) as image:
        assert not image.getexif() and "exif" not in image.info
    assert b"Exif" not in files[0].read_bytes() and b"PhoneMaker" not in files[0].read_bytes()

    disguised = fake.document_update(CHAT, _zip(), "photo.jpg", "image/jpeg")
    assert "收不了" in await resident.send(disguised, until="没有保存")
    english = fake.document_update(CHAT, _zip(), "photo.jpg", "image/jpeg", language="en")
    assert "can't accept" in await resident.send(english, until="not saved")
    assert [p for p in settings.evidence_dir.rglob("*") if p.is_file()] == files

    number = await submit(resident)
    case = await _case(app, number)
    assert [(e["kind"], e["mime_type"]) for e in case["evidence"]] == [("photo", "image/jpeg")]
    assert case["evidence"][0]["size"] == files[0].stat().st_size


async def test_outbox_pushes_map_telegram_errors(app, polling) -> None:
    fake, channel = polling
    push = OutgoingMessage("您的案件有了新进展。", (Option("查询进度", "cmd:status"),))
    fake.fail_next_send(
        429, "Too Many Requests: retry after 3", retry_after=3
    )  # the outbox waits, not the call
    with pytest.raises(RetryLater) as caught:
        await channel.send(str(CHAT), push)
    assert caught.value.seconds == 3
    assert fake.sent == []

    await channel.send(str(CHAT), push)
    assert fake.sent[-1]["text"] == "您的案件有了新进展。"
    assert int(fake.sent[-1]["chat_id"]) == CHAT
    assert fake.sent[-1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "查询进度", "callback_data": "cmd:status"}]]
    }

    fake.fail_next_send(403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Undeliverable):
        await channel.send(str(CHAT), push)
    fake.fail_next_send(400, "Bad Request: chat not found")
    with pytest.raises(Undeliverable):
        await channel.send("999", push)
    with pytest.raises(Undeliverable):
        await channel.send("not-a-chat", push)
    assert len(fake.sent) == 1


async def test_a_reply_outlasts_a_network_error_and_a_429(app, fake_api, evidence) -> None:
    """The update is already taken when the reply fails: the reply is tried again (after a
    pause on the channel's clock for a 5xx; after Telegram's retry_after, waited out in PTB's
    rate limiter, for a 429) and arrives once."""
    fake, _ = fake_api
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    async with long_polling(app, fake_api, evidence, sleep=pause):
        resident = Resident(fake, _queuer(fake))
        fake.fail_next_send(502, "Bad Gateway")
        fake.fail_next_send(502, "Bad Gateway")
        await resident.say("你好", until="解纷")
        assert pauses == [1.0, 2.0] and len(resident.last) == 1
        fake.fail_next_send(429, "Too Many Requests: retry after 1", retry_after=1)
        await resident.tap("我要反映纠纷", until="您同意吗")
        assert len(resident.last) == 1 and pauses == [1.0, 2.0]  # PTB waited, not us
    assert sum(1 for m in fake.sent if "解纷" in m["text"]) == 1


async def test_a_reply_telegram_keeps_refusing_is_delivered_by_the_outbox(
    app, fake_api, evidence
) -> None:
    """Long polling has confirmed the update, so Telegram will not send it again: a reply that
    fails all its tries goes into the outbox, and the worker delivers it, once."""
    fake, _ = fake_api
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    options = {"sleep": pause, "send_later": app.dialogue.send_later}
    async with long_polling(app, fake_api, evidence, **options) as channel:
        for _ in range(3):
            fake.fail_next_send(502, "Bad Gateway")
        fake.queue(fake.text_update(CHAT, "你好"))

        async def queued() -> bool:
            return await _count(app, OutboxMessage) == 1

        await until_async(queued, "the refused reply in the outbox")
        assert pauses == [1.0, 2.0] and not fake.sent
        await deliver(worker(app, channel))
    [reply] = fake.sent
    assert int(reply["chat_id"]) == CHAT and "解纷" in reply["text"]
    assert fake.buttons(reply)  # the welcome's buttons came along


async def test_a_flood_from_one_chat_is_slowed_with_a_friendly_message(
    app, fake_api, evidence
) -> None:
    fake, _ = fake_api
    now = [0.0]
    limiter = RateLimiter(capacity=3, per_second=0.2, now=lambda: now[0])
    async with long_polling(app, fake_api, evidence, limiter=limiter):
        resident = Resident(fake, _queuer(fake))
        for text in ("你好", "你好", "你好"):
            await resident.say(text, until="解纷")
        assert await _count(app, InboundMessage) == 3
        assert "5 秒后再发" in await resident.say("你好", until="发得有点快")
        english = fake.text_update(CHAT, "hello", language="en")
        assert "wait 5 seconds" in await resident.send(english, until="a little fast")
        assert await _count(app, InboundMessage) == 3  # refused, not handled
        now[0] += 5  # one message earned back
        await resident.say("你好", until="解纷")
        assert await _count(app, InboundMessage) == 4


def test_keyboards_and_long_texts_fit_telegram() -> None:
    short = keyboard(tuple(Option(f"选项{i}", f"p:{i}") for i in range(3)))
    assert short is not None
    assert [len(row) for row in short.inline_keyboard] == [2, 1]
    with pytest.raises(ValueError):
        keyboard((Option("x", "p" * 65),))
    parts = render(OutgoingMessage("第一行\n" * 1500, (Option("好", "ok"),)))
    assert len(parts) > 1 and all(len(p.text) <= 4096 for p in parts)
    assert all(p.keyboard is None for p in parts[:-1]) and parts[-1].keyboard is not None
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:9/tg/bot") == "http://127.0.0.1:9/tg/file/bot"
